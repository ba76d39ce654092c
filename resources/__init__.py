"""Data files shipped with labeldesk (icons, sample images, default classes, styles).

Installed as the package ``labeldesk.resources``; find files with
``importlib.resources.files("labeldesk.resources")``.
"""
