"""The Train & inspect tab: layer table, training pane, inspector, kernel history."""
