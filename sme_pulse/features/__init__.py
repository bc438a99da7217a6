"""Feature logic shared by Feast on-demand views, training and serving."""
