"""RCAS (Xiong, Mehta & Singh, ICCV 2019) reproduction."""
