"""Symmetry-aware magnetic descriptors (see :mod:`spinlab.descriptors.descriptor`)."""

from .descriptor import BondListDescriptor, Descriptor, StripDescriptor, SymmetricDescriptor, descriptor_from_config

__all__ = ["Descriptor", "SymmetricDescriptor", "StripDescriptor", "BondListDescriptor", "descriptor_from_config"]
