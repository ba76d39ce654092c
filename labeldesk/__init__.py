"""labeldesk: desktop image labeling for segmentation, with model assistance."""

__version__ = "0.1.0"
