"""The demo: a realistic week of Poitiers mediations and activities, after a year of them."""

from mediation_adapters.demo.activities import record_activities
from mediation_adapters.demo.week import DemoRun, record_demo
from mediation_adapters.demo.year import record_year

__all__ = ["DemoRun", "record_activities", "record_demo", "record_year"]
