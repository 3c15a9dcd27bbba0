"""Connectors to the controller's own databases: the data map checks, the subject finder, and
(execution) the executor, export package and Art. 19 notices. The sample shop the demo and the
tests run against is ``rightsdesk.demo_kit.sample_shop``; nothing here imports it."""
