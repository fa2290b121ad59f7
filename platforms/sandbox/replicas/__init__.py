"""The five replicas, one module per platform, each with its own HTML, URLs and quirks."""

from __future__ import annotations

from platforms.sandbox.replicas.base import Replica
from platforms.sandbox.replicas.furnishedfinder import FurnishedFinder
from platforms.sandbox.replicas.leasebreak import Leasebreak
from platforms.sandbox.replicas.renthop import RentHop
from platforms.sandbox.replicas.roomies import Roomies
from platforms.sandbox.replicas.spareroom import SpareRoom

REPLICAS: tuple[type[Replica], ...] = (SpareRoom, Roomies, Leasebreak, RentHop, FurnishedFinder)

__all__ = ["REPLICAS", "FurnishedFinder", "Leasebreak", "RentHop", "Replica", "Roomies", "SpareRoom"]
