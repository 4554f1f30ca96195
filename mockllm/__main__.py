"""``python -m mockllm`` is the ``mockllm`` command."""

import gc
import sys

gc.disable()  # through start-up, as cli.main explains; it turns the collector back on

from .cli import main  # noqa: E402

sys.exit(main())
