"""The domain modules this app serves: src/<name>/ for each name, in this order.

The app includes each module's router (src/main.py) and Alembic loads its models
(alembic/env.py). `uv run manage new-module NAME` creates a module and adds its name
here; remove a name to unplug a module without deleting its code.
"""

DOMAIN_MODULES: tuple[str, ...] = ()
