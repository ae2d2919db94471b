"""Price List (service "pricing"): SageMaker's products and prices, which moto does not emulate at all.

Real AWS: the Price List Query API (JSON protocol, `X-Amz-Target: AWSPriceListService.<Operation>`, endpoints
api.pricing.{us-east-1,eu-central-1,ap-south-1}.amazonaws.com, each serving every region's prices) answers
GetProducts with a PriceList of JSON *strings*, one product each (attributes, SKU) with its terms;
DescribeServices names a service's attributes and GetAttributeValues an attribute's values.

The emulator: a moto backend of its own that serves the SageMaker products of data/price_list.json, a compact
table that becomes real-shaped PriceList items here. It filters as GetProducts does, pages with an opaque
NextToken bound to its query, and fails with the errors the service model declares, in the JSON error body
moto's dispatcher writes for JSON services. PRICE_LIST_CALLS records every GetProducts call.

Routing: moto's server takes the service from the request's SigV4 credential scope and makes up a host from
it, "pricing.us-east-1.amazonaws.com" (not the real "api.pricing..." endpoint), matches that host against
moto.backend_index.backend_url_patterns, and builds the Flask app from moto.backends.get_backend(name).
extend_pricing() adds a pattern for both hosts and makes get_backend("pricing") answer with this module's
BackendDict, whose backend takes its url_bases and url_paths from this module.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from importlib import resources
from types import ModuleType
from typing import Any

import moto.backend_index
import moto.backends
from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.exceptions import JsonRESTError
from moto.core.responses import BaseResponse

SERVICE = "pricing"
# The dispatcher's made-up host ("pricing.<region>...") and the real endpoint ("api.pricing.<region>...").
_URL_BASE = r"https?://(api\.)?pricing\.(.+)\.amazonaws\.com"
_JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
_FIXTURE = ("hpo_guardrail.embedded", "data/price_list.json")
DEFAULT_MAX_RESULTS = 100
MAX_RESULTS = 100  # GetProducts, DescribeServices and GetAttributeValues all cap MaxResults at 100
FORMAT_VERSION = "aws_v1"


# --- errors the service model declares -----------------------------------------------------------------


class NotFoundException(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("NotFoundException", message)


class InvalidParameterException(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("InvalidParameterException", message)


class InvalidNextTokenException(JsonRESTError):
    def __init__(self) -> None:
        super().__init__("InvalidNextTokenException", "The pagination token is invalid. Try again without it.")


class EndpointNotFound(JsonRESTError):
    """Not an AWS error: AWS has no Price List endpoint in the region, so boto3 fails to connect there.
    The emulator answers instead, so that a client in the wrong region fails loudly, not with prices."""

    code = 404

    def __init__(self, region: str) -> None:
        super().__init__(
            "EndpointNotFound",
            f"The Price List API has no endpoint in {region}; use us-east-1, eu-central-1 or ap-south-1.",
        )


# --- the call counter ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceListCall:
    """One GetProducts request as the emulator received it."""

    service_code: str | None
    filters: tuple[Mapping[str, Any], ...]
    max_results: int | None
    next_token: str | None
    region: str


class PriceListCalls:
    """Every GetProducts call the emulated Price List received, oldest first. Safe from the server's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[PriceListCall] = []

    def record(self, call: PriceListCall) -> None:
        """Store one call."""
        with self._lock:
            self._calls.append(call)

    def calls(self) -> list[PriceListCall]:
        """The calls so far, oldest first."""
        with self._lock:
            return list(self._calls)

    @property
    def count(self) -> int:
        """How many GetProducts calls the emulator received."""
        with self._lock:
            return len(self._calls)

    def reset(self) -> None:
        """Forget every call."""
        with self._lock:
            self._calls.clear()


PRICE_LIST_CALLS = PriceListCalls()


# --- short pages ---------------------------------------------------------------------------------------

_page_cap_lock = threading.Lock()
_page_cap: int | None = None


@contextmanager
def short_pages(size: int) -> Iterator[None]:
    """While inside, answer every paged call with at most `size` items a page, whatever MaxResults asks.

    AWS may return fewer items than MaxResults and still a NextToken; a reader must follow the token, and
    with few fixture products only a short page shows whether it does."""
    global _page_cap
    if size < 1:
        raise ValueError("a page holds at least one item")
    with _page_cap_lock:
        previous, _page_cap = _page_cap, size
    try:
        yield
    finally:
        with _page_cap_lock:
            _page_cap = previous


# --- the catalogue: the fixture's table, as real-shaped products ----------------------------------------


@dataclass(frozen=True)
class Product:
    """One product of the emulated Price List and its PriceList item (a JSON string, as GetProducts sends)."""

    sku: str
    product_family: str
    service_code: str
    attributes: Mapping[str, str]
    price_list_item: str

    def field_value(self, name: str) -> str | None:
        """The value a GetProducts filter on `name` compares with; None when the product has no such field."""
        # Filters name attributes, and also the product's family, SKU and service code ("ServiceCode" is
        # the documented field; "servicecode" is also an attribute).
        if name == "productFamily":
            return self.product_family
        if name == "sku":
            return self.sku
        if name == "ServiceCode":
            return self.service_code
        return self.attributes.get(name)


@dataclass(frozen=True)
class Catalogue:
    """The emulated Price List: one service's products, in the fixture's order."""

    service_code: str
    format_version: str
    products: tuple[Product, ...]
    attribute_names: tuple[str, ...] = field(default=())

    def attribute_values(self, name: str) -> list[str]:
        """The distinct values of one attribute, sorted."""
        return sorted({value for p in self.products if (value := p.attributes.get(name)) is not None})


@cache
def catalogue() -> Catalogue:
    """The fixture's products (read once; the catalogue never changes while the process runs)."""
    package, path = _FIXTURE
    raw = json.loads(resources.files(package).joinpath(path).read_text(encoding="utf-8"))
    return build_catalogue(raw)


def build_catalogue(raw: Mapping[str, Any]) -> Catalogue:
    """Real-shaped products from the fixture's compact table (see data/price_list.json)."""
    instances = _rows(raw["instances"])
    by_name = {row["instanceName"]: row for row in instances}
    products = tuple(_product(raw, row, by_name[row["instanceName"]]) for row in _rows(raw["products"]))
    names = sorted({name for product in products for name in product.attributes})
    return Catalogue(
        service_code=raw["service_code"],
        format_version=raw["format_version"],
        products=products,
        attribute_names=tuple(names),
    )


def _rows(table: Mapping[str, Any]) -> list[dict[str, str]]:
    columns = table["columns"]
    return [dict(zip(columns, row, strict=True)) for row in table["rows"]]


def _product(raw: Mapping[str, Any], row: Mapping[str, str], instance: Mapping[str, str]) -> Product:
    region = raw["regions"][row["regionCode"]]
    instance_name = row["instanceName"]
    plato_type = row["platoinstancetype"]
    sku = _sku(row["regionCode"], instance_name, plato_type)
    # Attribute names and value forms as public readers of AmazonSageMaker's price list use them: the
    # SageMaker scrapers of vantage-sh/ec2instances.info (instanceName, platoinstancename "m5",
    # platoinstancetype Training/SpotTraining/Hosting, component, location, locationType "AWS Region",
    # regionCode, vCpu, memory "16 GiB", gpu, servicecode, servicename, usagetype, and the usage type
    # "USE1-Train:ml.m4.16xlarge" with operation "RunInstance" in its savings-plan notes), and public cost
    # reports ("USE1-Host:ml.m5.large"). Inferred, where no source shows the value: instanceType equal to
    # instanceName, component equal to platoinstancetype, and "<prefix>-SpotTrain:" for managed spot.
    attributes = {
        "servicecode": raw["service_code"],
        "servicename": raw["service_name"],
        "location": region["location"],
        "locationType": "AWS Region",
        "regionCode": row["regionCode"],
        "usagetype": f"{region['usage_type_prefix']}-{raw['usage_types'][plato_type]}:{instance_name}",
        "operation": raw["operation"],
        "instanceName": instance_name,
        "instanceType": instance_name,
        "platoinstancename": instance_name.split(".")[1],
        "platoinstancetype": plato_type,
        "component": plato_type,
        "vCpu": instance["vCpu"],
        "memory": instance["memory"],
        "gpu": instance["gpu"],
    }
    usd = Decimal(row["usd_per_hour"])
    # The wording is inferred; readers must not parse it.
    description = f"${usd} per hour for {plato_type} on {instance_name} in {region['location']}"
    term_code = f"{sku}.{raw['offer_term_code']}"
    rate_code = f"{term_code}.{raw['rate_code']}"
    # The item's layout, key order included, is that of AWS's documented GetProducts example.
    item = {
        "product": {"productFamily": raw["product_family"], "attributes": attributes, "sku": sku},
        "serviceCode": raw["service_code"],
        "terms": {
            "OnDemand": {
                term_code: {
                    "priceDimensions": {
                        rate_code: {
                            "unit": "Hrs",
                            "endRange": "Inf",
                            "description": description,
                            "appliesTo": [],
                            "rateCode": rate_code,
                            "beginRange": "0",
                            "pricePerUnit": {"USD": f"{usd:.10f}"},
                        }
                    },
                    "sku": sku,
                    "effectiveDate": raw["effective_date"],
                    "offerTermCode": raw["offer_term_code"],
                    "termAttributes": {},
                }
            }
        },
        "version": raw["version"],
        "publicationDate": raw["publication_date"],
    }
    return Product(
        sku=sku,
        product_family=raw["product_family"],
        service_code=raw["service_code"],
        attributes=attributes,
        price_list_item=json.dumps(item, separators=(",", ":")),
    )


def _sku(*key: str) -> str:
    # Stable across runs, and shaped like AWS's (16 upper-case letters and digits).
    digest = hashlib.sha256("|".join(key).encode()).digest()
    return base64.b32encode(digest).decode()[:16]


# --- filters and pages ---------------------------------------------------------------------------------


def _listed(value: str) -> set[str]:
    # The value form of ANY_OF/NONE_OF is not documented; a comma-separated list is inferred.
    return {part.strip() for part in value.split(",")}


# TERM_MATCH is the one filter type the guardrail uses. Matching is exact and case-sensitive, inferred:
# AWS does not document case handling. A product without the field matches only NONE_OF.
_FILTER_TYPES: dict[str, Callable[[str | None, str], bool]] = {
    "TERM_MATCH": lambda actual, wanted: actual == wanted,
    "EQUALS": lambda actual, wanted: actual == wanted,
    "CONTAINS": lambda actual, wanted: actual is not None and wanted in actual,
    "ANY_OF": lambda actual, wanted: actual is not None and actual in _listed(wanted),
    "NONE_OF": lambda actual, wanted: actual is None or actual not in _listed(wanted),
}


def _matching(products: Sequence[Product], filters: Sequence[Mapping[str, Any]]) -> list[Product]:
    checks = []
    for given in filters:
        kind, name, value = given.get("Type"), given.get("Field"), given.get("Value")
        compare = _FILTER_TYPES.get(kind) if isinstance(kind, str) else None
        if compare is None:
            raise InvalidParameterException(
                f"Invalid filter type {kind!r}; valid filter types are {', '.join(_FILTER_TYPES)}."
            )
        if not isinstance(name, str) or not name or not isinstance(value, str) or not value:
            raise InvalidParameterException("Every filter needs a non-empty Field and Value.")
        checks.append((compare, name, value))
    return [p for p in products if all(compare(p.field_value(name), value) for compare, name, value in checks)]


def _page_size(max_results: Any) -> int:
    if max_results is None:
        size = DEFAULT_MAX_RESULTS
    elif isinstance(max_results, int) and 1 <= max_results <= MAX_RESULTS:
        size = max_results
    else:
        raise InvalidParameterException(f"MaxResults must be between 1 and {MAX_RESULTS}.")
    with _page_cap_lock:
        return size if _page_cap is None else min(size, _page_cap)


def _page[T](items: Sequence[T], query: Any, next_token: Any, max_results: Any) -> tuple[list[T], str | None]:
    """One page of `items` and the token of the next (None on the last page)."""
    size = _page_size(max_results)
    # The token carries its query's digest, so that a token from one query is refused by another, as AWS
    # refuses foreign tokens. Its form is the emulator's own; clients treat it as opaque.
    digest = hashlib.sha256(json.dumps(query, sort_keys=True).encode()).hexdigest()[:16]
    start = 0 if next_token is None else _token_offset(next_token, digest)
    end = start + size
    token = _token(digest, end) if end < len(items) else None
    return list(items[start:end]), token


def _token(digest: str, offset: int) -> str:
    return base64.b64encode(json.dumps({"q": digest, "o": offset}).encode()).decode()


def _token_offset(token: Any, digest: str) -> int:
    try:
        decoded = json.loads(base64.b64decode(str(token), validate=True))
    except ValueError:  # not base64, not UTF-8 or not JSON
        raise InvalidNextTokenException() from None
    if not isinstance(decoded, dict) or decoded.get("q") != digest:
        raise InvalidNextTokenException()
    offset = decoded.get("o")
    if not isinstance(offset, int) or offset < 0:
        raise InvalidNextTokenException()
    return offset


def _format_version(requested: Any, price_list: Catalogue) -> str:
    if requested not in (None, price_list.format_version):
        raise InvalidParameterException(f"Invalid FormatVersion {requested!r}; the valid value is {FORMAT_VERSION}.")
    return price_list.format_version


def _known_service(service_code: Any, price_list: Catalogue) -> None:
    # The emulated Price List knows only the service of its fixture.
    if service_code != price_list.service_code:
        raise NotFoundException(f"Service code {service_code!r} not found.")


# --- the backend and its handlers ----------------------------------------------------------------------


class PricingBackend(BaseBackend):
    """The Price List of an emulated account: the fixture's products, the same from every endpoint."""

    @property
    def _url_module(self) -> ModuleType:
        # moto looks for url_bases and url_paths in "<backend module>.urls"; this module has both.
        return sys.modules[__name__]

    def get_products(
        self,
        service_code: Any,
        filters: Sequence[Mapping[str, Any]],
        format_version: Any,
        next_token: Any,
        max_results: Any,
    ) -> dict[str, Any]:
        """GetProducts: the PriceList items matching every filter, a page at a time."""
        products = catalogue()
        version = _format_version(format_version, products)
        _known_service(service_code, products)
        matching = _matching(products.products, filters)
        query = ["GetProducts", service_code, list(filters), version]
        page, token = _page(matching, query, next_token, max_results)
        return _without_none(
            {"FormatVersion": version, "PriceList": [p.price_list_item for p in page], "NextToken": token}
        )

    def describe_services(
        self, service_code: Any, format_version: Any, next_token: Any, max_results: Any
    ) -> dict[str, Any]:
        """DescribeServices: the service (all services without a code) and its attribute names."""
        products = catalogue()
        version = _format_version(format_version, products)
        if service_code is not None:
            _known_service(service_code, products)
        services = [{"ServiceCode": products.service_code, "AttributeNames": list(products.attribute_names)}]
        page, token = _page(services, ["DescribeServices", service_code, version], next_token, max_results)
        return _without_none({"Services": page, "FormatVersion": version, "NextToken": token})

    def get_attribute_values(
        self, service_code: Any, attribute_name: Any, next_token: Any, max_results: Any
    ) -> dict[str, Any]:
        """GetAttributeValues: the distinct values of one attribute of the service's products."""
        products = catalogue()
        _known_service(service_code, products)
        if attribute_name not in products.attribute_names:
            # AWS's answer for an unknown attribute is not documented; NotFoundException is inferred.
            raise NotFoundException(f"Attribute name {attribute_name!r} not found for service {service_code}.")
        values = [{"Value": value} for value in products.attribute_values(attribute_name)]
        page, token = _page(values, ["GetAttributeValues", service_code, attribute_name], next_token, max_results)
        return _without_none({"AttributeValues": page, "NextToken": token})


def _without_none(response: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in response.items() if value is not None}


pricing_backends = BackendDict(PricingBackend, SERVICE)


class PricingResponse(BaseResponse):
    """The handlers of AWSPriceListService.<Operation>; moto calls the method named after the operation."""

    def __init__(self) -> None:
        super().__init__(service_name=SERVICE)

    @property
    def pricing_backend(self) -> PricingBackend:
        account = pricing_backends[self.current_account]
        if self.region not in account:
            raise EndpointNotFound(self.region)
        return account[self.region]

    def _params(self) -> dict[str, Any]:
        params = json.loads(self.body or "{}")
        return params if isinstance(params, dict) else {}

    @staticmethod
    def _answer(response: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
        return json.dumps(response), {"Content-Type": _JSON_CONTENT_TYPE}

    def get_products(self) -> tuple[str, dict[str, str]]:
        params = self._params()
        filters = params.get("Filters") or []
        PRICE_LIST_CALLS.record(
            PriceListCall(
                service_code=params.get("ServiceCode"),
                filters=tuple(dict(f) if isinstance(f, dict) else f for f in filters),
                max_results=params.get("MaxResults"),
                next_token=params.get("NextToken"),
                region=self.region,
            )
        )
        return self._answer(
            self.pricing_backend.get_products(
                service_code=params.get("ServiceCode"),
                filters=filters,
                format_version=params.get("FormatVersion"),
                next_token=params.get("NextToken"),
                max_results=params.get("MaxResults"),
            )
        )

    def describe_services(self) -> tuple[str, dict[str, str]]:
        params = self._params()
        return self._answer(
            self.pricing_backend.describe_services(
                service_code=params.get("ServiceCode"),
                format_version=params.get("FormatVersion"),
                next_token=params.get("NextToken"),
                max_results=params.get("MaxResults"),
            )
        )

    def get_attribute_values(self) -> tuple[str, dict[str, str]]:
        params = self._params()
        return self._answer(
            self.pricing_backend.get_attribute_values(
                service_code=params.get("ServiceCode"),
                attribute_name=params.get("AttributeName"),
                next_token=params.get("NextToken"),
                max_results=params.get("MaxResults"),
            )
        )


# What moto reads from a service's urls module (see PricingBackend._url_module).
url_bases = [_URL_BASE]
url_paths = {"{0}/$": PricingResponse.dispatch}


def extend_pricing() -> None:
    """Route "pricing" requests in moto's server to this module's backend."""
    patterns = moto.backend_index.backend_url_patterns
    if all(name != SERVICE for name, _ in patterns):
        patterns.append((SERVICE, re.compile(_URL_BASE)))
    original_get_backend = moto.backends.get_backend
    if getattr(original_get_backend, "serves_pricing", False):
        return

    def get_backend(name: str) -> Any:
        # moto finds a backend by importing moto.<name>; "pricing" is not there.
        return pricing_backends if name == SERVICE else original_get_backend(name)  # type: ignore[call-overload]

    get_backend.serves_pricing = True  # type: ignore[attr-defined]
    moto.backends.get_backend = get_backend
