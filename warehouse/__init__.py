"""The consolidated warehouse: schema (Alembic), loads in one transaction per delivery, status."""

from warehouse.deliveries import DeliveryInfo
from warehouse.errors import WarehouseError
from warehouse.facade import Warehouse
from warehouse.loads import LoadResult

__all__ = ["DeliveryInfo", "LoadResult", "Warehouse", "WarehouseError"]
