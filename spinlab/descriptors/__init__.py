"""Symmetry-aware magnetic descriptors (see :mod:`spinlab.descriptors.descriptor`)."""

from .descriptor import BondListDescriptor, Descriptor, SymmetricDescriptor, descriptor_from_config

__all__ = ["Descriptor", "SymmetricDescriptor", "BondListDescriptor", "descriptor_from_config"]
