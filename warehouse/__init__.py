"""The consolidated warehouse: schema (Alembic), loads in one transaction per delivery, status."""

from warehouse.errors import WarehouseError
from warehouse.loader import DeliveryInfo, LoadResult, Warehouse

__all__ = ["DeliveryInfo", "LoadResult", "Warehouse", "WarehouseError"]
