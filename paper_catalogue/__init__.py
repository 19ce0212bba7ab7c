"""paper_catalogue: a static site generator for research-paper catalogues."""
