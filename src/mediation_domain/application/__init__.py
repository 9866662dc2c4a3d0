"""The application: `Mediations`, its commands, reads and erasures, simple types in and out.

`mediations` holds the commands and how cases are recorded, `queries` the reads,
`erasure` erasure and retention, and `interface` the parsing of what callers pass.
"""

from mediation_domain.application.erasure import Erasure, RetentionDue
from mediation_domain.application.mediations import Mediations
from mediation_domain.application.queries import MOST_CASES, CasePage

__all__ = ["MOST_CASES", "CasePage", "Erasure", "Mediations", "RetentionDue"]
