"""Connectors to the controller's own databases: the data map checks, the subject finder, the
sample shop, and (execution) the executor, export package and Art. 19 notices."""
