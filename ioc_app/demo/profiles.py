"""What makes each of the 34 provinces look like itself: region, size, economy, people.

Figures are rounded public orders of magnitude (2024 population of the merged province,
GRDP per head relative to the national average); they only steer the demo's magnitudes.
"""
from __future__ import annotations

from dataclasses import dataclass

MEKONG = "mekong"
SOUTHEAST = "southeast"
HIGHLANDS = "central_highlands"
SOUTH_CENTRAL = "south_central_coast"
NORTH_CENTRAL = "north_central"
RED_RIVER = "red_river_delta"
MOUNTAINS = "northern_mountains"

# code: (region, population in millions, GRDP per head relative to the country, coastal)
_PROVINCES: dict[str, tuple[str, float, float, bool]] = {
    "01": (RED_RIVER, 8.72, 1.30, False),
    "04": (MOUNTAINS, 0.55, 0.45, False),
    "08": (MOUNTAINS, 1.87, 0.45, False),
    "11": (MOUNTAINS, 0.64, 0.40, False),
    "12": (MOUNTAINS, 0.49, 0.50, False),
    "14": (MOUNTAINS, 1.33, 0.50, False),
    "15": (MOUNTAINS, 1.78, 0.65, False),
    "19": (MOUNTAINS, 1.69, 0.85, False),
    "20": (MOUNTAINS, 0.80, 0.55, False),
    "22": (RED_RIVER, 1.38, 1.75, True),
    "24": (RED_RIVER, 3.62, 1.20, False),
    "25": (MOUNTAINS, 4.02, 0.75, False),
    "31": (RED_RIVER, 4.66, 1.25, True),
    "33": (RED_RIVER, 3.57, 0.70, True),
    "37": (RED_RIVER, 4.41, 0.70, True),
    "38": (NORTH_CENTRAL, 3.76, 0.75, True),
    "40": (NORTH_CENTRAL, 3.47, 0.50, True),
    "42": (NORTH_CENTRAL, 1.33, 0.65, True),
    "44": (NORTH_CENTRAL, 1.90, 0.60, True),
    "46": (NORTH_CENTRAL, 1.16, 0.65, True),
    "48": (SOUTH_CENTRAL, 3.07, 0.85, True),
    "51": (SOUTH_CENTRAL, 1.86, 0.80, True),
    "52": (HIGHLANDS, 3.58, 0.60, True),
    "56": (SOUTH_CENTRAL, 2.24, 0.75, True),
    "66": (HIGHLANDS, 3.35, 0.55, True),
    "68": (HIGHLANDS, 3.87, 0.70, True),
    "75": (SOUTHEAST, 4.49, 1.00, False),
    "79": (SOUTHEAST, 14.0, 1.45, True),
    "80": (SOUTHEAST, 3.25, 0.85, True),
    "82": (MEKONG, 4.37, 0.65, True),
    "86": (MEKONG, 4.26, 0.60, True),
    "91": (MEKONG, 4.95, 0.60, True),
    "92": (MEKONG, 4.20, 0.65, True),
    "96": (MEKONG, 2.61, 0.60, True),
}

# Per-region levels that do not follow population or income. Output per inhabitant and year
# in tonnes (rice, aquaculture, fishing, fruit); rates in percent.
_REGION_LEVELS: dict[str, dict[str, float]] = {
    MEKONG: {"rice": 0.9, "aquaculture": 0.2, "fishing": 0.05, "fruit": 0.45, "forest": 5.0,
             "poverty": 3.0, "stunting": 18.0, "clean_water": 72.0, "new_rural": 75.0,
             "grdp_growth": 6.8, "pm25": 24.0},
    SOUTHEAST: {"rice": 0.06, "aquaculture": 0.02, "fishing": 0.02, "fruit": 0.12, "forest": 22.0,
                "poverty": 0.8, "stunting": 13.0, "clean_water": 90.0, "new_rural": 92.0,
                "grdp_growth": 7.5, "pm25": 30.0},
    HIGHLANDS: {"rice": 0.2, "aquaculture": 0.01, "fishing": 0.04, "fruit": 0.25, "forest": 40.0,
                "poverty": 7.0, "stunting": 24.0, "clean_water": 65.0, "new_rural": 60.0,
                "grdp_growth": 7.0, "pm25": 18.0},
    SOUTH_CENTRAL: {"rice": 0.25, "aquaculture": 0.03, "fishing": 0.1, "fruit": 0.08, "forest": 45.0,
                    "poverty": 4.0, "stunting": 19.0, "clean_water": 78.0, "new_rural": 72.0,
                    "grdp_growth": 7.2, "pm25": 20.0},
    NORTH_CENTRAL: {"rice": 0.4, "aquaculture": 0.03, "fishing": 0.06, "fruit": 0.06, "forest": 52.0,
                    "poverty": 5.0, "stunting": 20.0, "clean_water": 75.0, "new_rural": 80.0,
                    "grdp_growth": 7.5, "pm25": 32.0},
    RED_RIVER: {"rice": 0.3, "aquaculture": 0.05, "fishing": 0.03, "fruit": 0.07, "forest": 18.0,
                "poverty": 1.5, "stunting": 14.0, "clean_water": 88.0, "new_rural": 95.0,
                "grdp_growth": 8.5, "pm25": 42.0},
    MOUNTAINS: {"rice": 0.25, "aquaculture": 0.01, "fishing": 0.002, "fruit": 0.15, "forest": 55.0,
                "poverty": 18.0, "stunting": 26.0, "clean_water": 58.0, "new_rural": 45.0,
                "grdp_growth": 7.0, "pm25": 28.0},
}

_PROVINCE_LEVELS: dict[str, dict[str, float]] = {
    "01": {"rice": 0.1, "forest": 6.0, "pm25": 48.0},
    "04": {"poverty": 22.0},
    "22": {"rice": 0.1, "forest": 55.0},
    "48": {"rice": 0.12},
    "79": {"rice": 0.02, "fishing": 0.01, "pm25": 34.0},
    "82": {"rice": 1.2},
    "86": {"rice": 0.45, "aquaculture": 0.14},
    "91": {"rice": 1.6, "aquaculture": 0.25, "fishing": 0.08},
    "92": {"rice": 1.0},
    "96": {"rice": 0.5, "aquaculture": 0.35, "fishing": 0.08, "forest": 8.0},
}

# Ethnic groups (code, Vietnamese name, English name, share of the population).
_ETHNIC: dict[str, tuple[tuple[str, str, str, float], ...]] = {
    MEKONG: (("kinh", "Kinh", "Kinh", 0.89), ("khmer", "Khmer", "Khmer", 0.08),
             ("hoa", "Hoa", "Hoa (Chinese)", 0.02), ("other", "Dân tộc khác", "Other", 0.01)),
    SOUTHEAST: (("kinh", "Kinh", "Kinh", 0.93), ("hoa", "Hoa", "Hoa (Chinese)", 0.04),
                ("khmer", "Khmer", "Khmer", 0.01), ("other", "Dân tộc khác", "Other", 0.02)),
    HIGHLANDS: (("kinh", "Kinh", "Kinh", 0.7), ("ede", "Ê Đê", "Ede", 0.1), ("giarai", "Gia Rai", "Jarai", 0.1),
                ("bana", "Ba Na", "Bahnar", 0.04), ("other", "Dân tộc khác", "Other", 0.06)),
    SOUTH_CENTRAL: (("kinh", "Kinh", "Kinh", 0.92), ("cham", "Chăm", "Cham", 0.03),
                    ("raglai", "Raglai", "Raglai", 0.02), ("other", "Dân tộc khác", "Other", 0.03)),
    NORTH_CENTRAL: (("kinh", "Kinh", "Kinh", 0.86), ("thai", "Thái", "Thai", 0.06),
                    ("muong", "Mường", "Muong", 0.05), ("other", "Dân tộc khác", "Other", 0.03)),
    RED_RIVER: (("kinh", "Kinh", "Kinh", 0.96), ("muong", "Mường", "Muong", 0.02),
                ("other", "Dân tộc khác", "Other", 0.02)),
    MOUNTAINS: (("kinh", "Kinh", "Kinh", 0.35), ("tay", "Tày", "Tay", 0.2), ("thai", "Thái", "Thai", 0.15),
                ("hmong", "H'Mông", "Hmong", 0.12), ("nung", "Nùng", "Nung", 0.08), ("dao", "Dao", "Dao", 0.06),
                ("other", "Dân tộc khác", "Other", 0.04)),
}
_PROVINCE_ETHNIC: dict[str, tuple[tuple[str, str, str, float], ...]] = {
    "04": (("tay", "Tày", "Tay", 0.41), ("nung", "Nùng", "Nung", 0.31), ("hmong", "H'Mông", "Hmong", 0.11),
           ("dao", "Dao", "Dao", 0.1), ("kinh", "Kinh", "Kinh", 0.05), ("other", "Dân tộc khác", "Other", 0.02)),
}

_ROADS: dict[str, tuple[str, ...]] = {
    "01": ("Quốc lộ 1", "Quốc lộ 5", "Quốc lộ 6", "Quốc lộ 32", "Đại lộ Thăng Long"),
    "04": ("Quốc lộ 3", "Quốc lộ 4A", "Quốc lộ 34"),
    "79": ("Quốc lộ 1", "Quốc lộ 13", "Quốc lộ 22", "Quốc lộ 50", "Quốc lộ 51"),
    "82": ("Quốc lộ 1", "Quốc lộ 30", "Quốc lộ 50", "Quốc lộ 80"),
    "86": ("Quốc lộ 1", "Quốc lộ 53", "Quốc lộ 54", "Quốc lộ 57", "Quốc lộ 60", "Quốc lộ 80"),
    "91": ("Quốc lộ 80", "Quốc lộ 91", "Quốc lộ 63"),
    "92": ("Quốc lộ 1", "Quốc lộ 61", "Quốc lộ 91"),
    "96": ("Quốc lộ 1", "Quốc lộ 63"),
}
_REGION_ROADS: dict[str, tuple[str, ...]] = {
    MEKONG: ("Quốc lộ 1", "Quốc lộ 91", "Quốc lộ 80"),
    SOUTHEAST: ("Quốc lộ 1", "Quốc lộ 13", "Quốc lộ 20", "Quốc lộ 22"),
    HIGHLANDS: ("Quốc lộ 14", "Quốc lộ 19", "Quốc lộ 26", "Quốc lộ 27"),
    SOUTH_CENTRAL: ("Quốc lộ 1", "Quốc lộ 14B", "Quốc lộ 24", "Quốc lộ 27B"),
    NORTH_CENTRAL: ("Quốc lộ 1", "Quốc lộ 7", "Quốc lộ 8", "Quốc lộ 9", "Quốc lộ 47"),
    RED_RIVER: ("Quốc lộ 1", "Quốc lộ 5", "Quốc lộ 10", "Quốc lộ 18", "Quốc lộ 39"),
    MOUNTAINS: ("Quốc lộ 2", "Quốc lộ 3", "Quốc lộ 4", "Quốc lộ 6", "Quốc lộ 70"),
}

STREETS = (
    "Đường 30 Tháng 4", "Đường Trần Phú", "Đường Nguyễn Huệ", "Đường Lê Lợi", "Đường Hùng Vương",
    "Đường Nguyễn Văn Linh", "Đường 3 Tháng 2", "Đường Võ Văn Kiệt", "Đường Đồng Khởi", "Đường Lý Thường Kiệt",
    "Đường Hai Bà Trưng", "Đường Phan Đình Phùng", "Đường Trần Hưng Đạo", "Đường Điện Biên Phủ",
    "Đường Nguyễn Trãi", "Đường Lê Duẩn", "Đường Quang Trung", "Đường Nguyễn Thị Minh Khai",
)


@dataclass(frozen=True)
class Profile:
    code: str
    region: str
    population: float
    income: float
    coastal: bool
    levels: dict[str, float]
    ethnic: tuple[tuple[str, str, str, float], ...]
    roads: tuple[str, ...]

    @property
    def delta(self) -> bool:
        return self.region in (MEKONG, RED_RIVER)

    @property
    def salinity(self) -> bool:
        """Salt intrusion is monitored in the Mekong delta and on the low coastal plains."""
        return self.region == MEKONG or (self.coastal and self.region in (RED_RIVER, SOUTHEAST))

    @property
    def tidal(self) -> bool:
        return self.coastal or self.region == MEKONG

    @property
    def hamlet_words(self) -> tuple[str, str]:
        """(rural, urban) word for the smallest residential unit."""
        if self.region == MEKONG:
            return "Ấp", "Khóm"
        if self.region == SOUTHEAST:
            return "Ấp", "Khu phố"
        if self.region == MOUNTAINS:
            return "Xóm", "Tổ dân phố"
        return "Thôn", "Tổ dân phố"

    def rice_season(self) -> str:
        if self.region in (MEKONG, SOUTHEAST):
            return "rice_south"
        if self.region in (RED_RIVER, MOUNTAINS):
            return "rice_north"
        if self.region == HIGHLANDS:
            return "rice_highlands"
        return "rice_central"


def profile(province_code: str) -> Profile:
    region, population, income, coastal = _PROVINCES[province_code]
    levels = {**_REGION_LEVELS[region], **_PROVINCE_LEVELS.get(province_code, {})}
    ethnic = _PROVINCE_ETHNIC.get(province_code, _ETHNIC[region])
    roads = _ROADS.get(province_code, _REGION_ROADS[region])
    return Profile(province_code, region, population, income, coastal, levels, ethnic, roads)
