"""The demo: a realistic week of Poitiers mediations, after a year of routine cases."""

from mediation_adapters.demo.week import DemoRun, record_demo
from mediation_adapters.demo.year import record_year

__all__ = ["DemoRun", "record_demo", "record_year"]
