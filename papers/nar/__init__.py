"""Jiang, Zhao & Pang, "Neural Architecture Refinement": reported numbers and their reproduction."""
