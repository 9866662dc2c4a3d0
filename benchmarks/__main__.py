"""`python -m benchmarks [options]`: the same as `python benchmarks/run.py [options]`."""

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))  # the scripts import their shared `workload` module
sys.argv[0] = str(HERE / "run.py")
runpy.run_path(sys.argv[0], run_name="__main__")
