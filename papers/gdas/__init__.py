"""GDAS reproduction (Dong & Yang, CVPR 2019)."""
