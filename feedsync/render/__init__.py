"""Feed writers: one per format. Each streams batches into a folder and reports its files."""
