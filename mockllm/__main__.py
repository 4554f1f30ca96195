"""``python -m mockllm`` is the ``mockllm`` command."""

import sys

from .cli import main

sys.exit(main())
