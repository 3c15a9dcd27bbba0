"""The staff web console (Starlette, server-rendered Jinja2). Build it with :func:`staff.web.app.build_console`."""
