"""`python -m imgfeat ...`: the `imgfeat` command (imgfeat._cli)."""
from ._cli import main

main()
