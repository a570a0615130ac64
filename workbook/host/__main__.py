"""``python -m workbook.host --control-fd N [--confined]``: run a zygote (see ``zygote``)."""

import sys

from workbook.host.zygote import main

sys.exit(main())
