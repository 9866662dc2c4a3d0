"""A MariaDB store for mediation-domain, registered by its entry point only.

[project.entry-points."mediation_domain.stores"]
mariadb = "mediation_mariadb:FACTORY"
"""

from mediation_mariadb.store import FACTORY, MariaDBDialect, open_mariadb, settings_of

__all__ = ["FACTORY", "MariaDBDialect", "open_mariadb", "settings_of"]
