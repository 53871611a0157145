"""The Evaluate tab: confusion matrix, gallery, attribution and activation maximisation."""
