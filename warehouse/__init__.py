"""The consolidated warehouse: schema (Alembic), loads in one transaction per delivery, status."""

from warehouse.deliveries import DeliveryInfo
from warehouse.errors import WarehouseError
from warehouse.facade import Warehouse
from warehouse.loads import LoadResult
from warehouse.schema import WarehouseNotReady

__all__ = ["DeliveryInfo", "LoadResult", "Warehouse", "WarehouseError", "WarehouseNotReady"]
