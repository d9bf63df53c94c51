"""REMNet: Kyriakides & Margaritis, "Regularized Evolution for Macro Neural Architecture Search", AIAI 2020."""
