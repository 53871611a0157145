"""Pictures of numbers: map scaling, colour maps, terminal heatmaps, PNG/CSV export."""
