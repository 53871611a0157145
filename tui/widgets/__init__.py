"""Widgets shared by the tabs: heatmap grids on the line API, colour bars, the status header."""
