"""Torch models. The only package that imports torch, and only lazily: importing
``labeldesk.models`` itself must not import torch (a test checks this)."""
