"""tickets/: citizen feedback (phản ánh, kiến nghị) as Open311 GeoReport v2 rows, one per status change."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from ioc_app.demo.context import REFORM_DATE, DemoContext
from ioc_app.demo.population import Population
from ioc_app.demo.profiles import STREETS
from ioc_app.demo.spatial import CommuneShapes
from ioc_app.demo.units import OFFICE, department_name
from ioc_app.demo.writers import write_csv, write_jsonl

TICKET_COLUMNS = ["service_request_id", "status", "service_code", "service_name", "description",
                  "requested_datetime", "updated_datetime", "expected_datetime", "lat", "long", "address",
                  "agency_responsible", "area_code", "satisfaction"]
TICKETS_PER_MILLION = 6_000
COMMUNE = "commune"
_WEEKDAY = np.array([1.15, 1.1, 1.1, 1.05, 1.0, 0.55, 0.4])
_HOUR = np.array([0.2, 0.1, 0.1, 0.1, 0.2, 0.6, 1.5, 3.5, 5.5, 6.0, 5.5, 4.0, 2.5, 3.0, 5.0, 5.5, 4.5, 3.0,
                  2.0, 2.5, 2.8, 2.0, 1.0, 0.5])
_AREA_CODE_GIVEN = 0.65
_RATED = 0.45
_SATISFACTION_ON_TIME = np.array([0.04, 0.06, 0.15, 0.40, 0.35])
_SATISFACTION_LATE = np.array([0.20, 0.25, 0.25, 0.20, 0.10])


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    share: float
    urban: float
    sla_days: float
    handling_days: float
    agencies: tuple[tuple[str, float], ...]
    descriptions: tuple[str, ...]


SERVICES: tuple[Service, ...] = (
    Service("moi_truong", "Môi trường", 0.16, 1.2, 7, 4, ((COMMUNE, 0.6), ("SNNMT", 0.4)), (
        "Rác thải sinh hoạt tồn đọng nhiều ngày chưa được thu gom",
        "Cơ sở chăn nuôi gây mùi hôi ảnh hưởng khu dân cư",
        "Nước thải chảy tràn ra kênh rạch gây ô nhiễm",
        "Đốt rác, rơm rạ gây khói bụi cho khu dân cư",
        "Cơ sở sản xuất gây tiếng ồn vào ban đêm")),
    Service("giao_thong", "Giao thông", 0.13, 1.3, 10, 6, (("SXD", 0.55), (COMMUNE, 0.35), ("CA", 0.1)), (
        "Mặt đường xuống cấp, nhiều ổ gà gây mất an toàn",
        "Đèn tín hiệu giao thông tại nút giao không hoạt động",
        "Cầu nông thôn hư hỏng lan can",
        "Biển báo giao thông bị cây xanh che khuất",
        "Xe tải trọng lớn lưu thông vào tuyến đường cấm")),
    Service("trat_tu_do_thi", "Trật tự đô thị", 0.13, 3.0, 7, 3, ((COMMUNE, 0.85), ("SXD", 0.15)), (
        "Lấn chiếm vỉa hè, lòng đường để buôn bán",
        "Xây dựng công trình không phép",
        "Dán quảng cáo, rao vặt trái phép trên cột điện",
        "Họp chợ tự phát gây ùn tắc giao thông",
        "Đậu xe trái phép trên lòng đường")),
    Service("dien_nuoc", "Điện - nước", 0.12, 1.2, 3, 1.2, (("SCT", 0.5), ("SXD", 0.3), (COMMUNE, 0.2)), (
        "Mất điện kéo dài không có thông báo trước",
        "Nước sinh hoạt bị nhiễm mặn, có mùi lạ",
        "Đường ống cấp nước bị vỡ gây lãng phí",
        "Đèn chiếu sáng công cộng bị hư hỏng",
        "Áp lực nước yếu vào giờ cao điểm")),
    Service("dat_dai", "Đất đai", 0.10, 0.7, 30, 18, ((COMMUNE, 0.6), ("SNNMT", 0.4)), (
        "Tranh chấp ranh giới đất với hộ liền kề",
        "Chậm cấp giấy chứng nhận quyền sử dụng đất",
        "San lấp mặt bằng trái phép trên đất nông nghiệp",
        "Khiếu nại về bồi thường, hỗ trợ giải phóng mặt bằng")),
    Service("y_te", "Y tế", 0.06, 1.3, 7, 3, (("SYT", 0.8), (COMMUNE, 0.2)), (
        "Cơ sở kinh doanh thực phẩm không bảo đảm vệ sinh",
        "Thái độ phục vụ của nhân viên y tế chưa đúng mực",
        "Phát hiện ổ dịch sốt xuất huyết trong khu dân cư",
        "Quầy thuốc bán thuốc kê đơn không có đơn")),
    Service("giao_duc", "Giáo dục", 0.06, 1.0, 10, 5, (("SGDDT", 0.75), (COMMUNE, 0.25)), (
        "Thu các khoản ngoài quy định đầu năm học",
        "Dạy thêm, học thêm không đúng quy định",
        "Cơ sở vật chất điểm trường xuống cấp",
        "Điểm trường thiếu nhà vệ sinh cho học sinh")),
    Service("an_ninh_trat_tu", "An ninh trật tự", 0.12, 1.2, 5, 2, (("CA", 0.7), (COMMUNE, 0.3)), (
        "Thanh thiếu niên tụ tập gây mất trật tự vào ban đêm",
        "Nghi vấn tổ chức đánh bạc trong khu dân cư",
        "Trộm cắp tài sản xảy ra nhiều lần",
        "Đua xe trái phép trên tuyến đường",
        "Karaoke gây ồn quá giờ quy định")),
    Service("dich_vu_cong", "Dịch vụ công", 0.12, 1.3, 5, 2.5,
            ((OFFICE, 0.4), (COMMUNE, 0.45), ("SKHCN", 0.15)), (
        "Hồ sơ nộp trực tuyến quá hạn chưa được giải quyết",
        "Cổng dịch vụ công báo lỗi khi nộp hồ sơ",
        "Cán bộ bộ phận một cửa hướng dẫn chưa rõ ràng",
        "Chậm trả kết quả chứng thực bản sao")),
)


def _request_times(ctx: DemoContext, n: int, rng: np.random.Generator) -> np.ndarray:
    """More tickets in recent months, fewer at weekends and at night."""
    start = pd.Timestamp(ctx.report_start)
    days = pd.date_range(start, pd.Timestamp(ctx.horizon) - pd.Timedelta(days=1), freq="D")
    ramp = np.linspace(0, 1, len(days))
    weight = (0.45 + 1.55 * ramp**1.5) * _WEEKDAY[days.day_of_week]
    day = rng.choice(len(days), size=n, p=weight / weight.sum())
    hour = rng.choice(24, size=n, p=_HOUR / _HOUR.sum())
    seconds = day * 86400 + hour * 3600 + rng.integers(0, 3600, n)
    return np.sort(start.to_datetime64().astype("datetime64[s]") + seconds.astype("timedelta64[s]"))


def _old_communes(ctx: DemoContext) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    links = ctx.crosswalk[ctx.crosswalk["old_level"] == "old_commune"]
    result = {}
    for new, group in links.groupby("new_key", sort=True):
        weights = group["weight"].to_numpy(dtype=float)
        result[str(new)] = (group["old_key"].str.removeprefix("old:").to_numpy(), weights / weights.sum())
    return result


def _district_agency(ctx: DemoContext, units: pd.DataFrame) -> dict[str, str]:
    """Old commune code -> the former district's People's Committee that handled it."""
    olds = ctx.level("old_commune")
    names = dict(zip(units.loc[units["kind"] == "former_district", "area_code"],
                     units.loc[units["kind"] == "former_district", "name"]))
    return {code: names.get(str(parent).removeprefix("old:"), "") for code, parent in
            zip(olds["code"], olds["parent_key"])}


def build_tickets(ctx: DemoContext, pop: Population, shapes: CommuneShapes, units: pd.DataFrame) -> pd.DataFrame:
    rng = ctx.rng("tickets")
    n = ctx.count(TICKETS_PER_MILLION * ctx.profile.population, minimum=50)
    requested = _request_times(ctx, n, rng)
    shares = np.array([s.share for s in SERVICES])
    service = rng.choice(len(SERVICES), size=n, p=shares / shares.sum())
    communes = pop.communes.index.to_numpy()
    urban = pop.communes["urban"].to_numpy()
    commune = np.empty(n, dtype=object)
    for i, spec in enumerate(SERVICES):
        weight = pop.communes["pop"].to_numpy() * np.where(urban, spec.urban * 1.5, 1.0)
        picked = service == i
        commune[picked] = rng.choice(communes, size=picked.sum(), p=weight / weight.sum())
    commune = commune.astype(str)
    lat, lon = shapes.sample_many(commune, rng, spread=0.6)

    sla = np.array([s.sla_days for s in SERVICES])[service]
    handling = np.array([s.handling_days for s in SERVICES])[service] * rng.lognormal(0, 0.8, n)
    handling *= np.where(rng.random(n) < 0.03, 4.0, 1.0)
    accept_hours = rng.lognormal(np.log(3), 1.0, n) * np.where(rng.random(n) < 0.08, 16.0, 1.0)
    in_progress = _office_hours(requested + (accept_hours * 3600).astype("timedelta64[s]"), rng)
    closed = _office_hours(in_progress + (handling * 86400).astype("timedelta64[s]"), rng)
    expected = requested + (sla * 86400).astype("timedelta64[s]")
    before = requested < np.datetime64(REFORM_DATE, "s")

    old_of = _old_communes(ctx)
    old_code = np.array([_pick(old_of.get(c), rng) for c in commune], dtype=object)
    area_code = np.where(before, old_code, commune)
    area_code = np.where((rng.random(n) < _AREA_CODE_GIVEN) & (area_code != ""), area_code, "")

    commune_agency = dict(zip(units.loc[units["kind"] == "commune", "area_code"],
                              units.loc[units["kind"] == "commune", "name"]))
    district_agency = _district_agency(ctx, units)
    office_name = units.loc[units["kind"] == "province_office", "name"].iloc[0]
    agency = np.empty(n, dtype=object)
    description = np.empty(n, dtype=object)
    for i, spec in enumerate(SERVICES):
        picked = np.flatnonzero(service == i)
        choice = rng.choice(len(spec.agencies), size=len(picked), p=[p for _, p in spec.agencies])
        description[picked] = np.array(spec.descriptions, dtype=object)[rng.integers(0, len(spec.descriptions),
                                                                                      len(picked))]
        for j, (who, _) in enumerate(spec.agencies):
            rows = picked[choice == j]
            if who != COMMUNE:
                agency[rows] = office_name if who == OFFICE else department_name(ctx, who)
                continue
            for row in rows:
                local = district_agency.get(old_code[row], "") if before[row] else ""
                agency[row] = local or commune_agency[commune[row]]

    rural_word, urban_word = ctx.profile.hamlet_words
    hamlet = rng.integers(1, 13, n)
    street = np.array(STREETS, dtype=object)[rng.integers(0, len(STREETS), n)]
    number = rng.integers(1, 400, n)
    is_urban = pop.communes["urban"].reindex(commune).to_numpy()
    name = pop.communes["name"].reindex(commune).to_numpy()
    address = [
        (f"Số {num} {st}, {urban_word} {h}, " if u else f"{rural_word} {h}, ") + f"{nm}, {ctx.province_name}"
        for num, st, h, u, nm in zip(number, street, hamlet, is_urban, name)
    ]

    late = closed > expected
    rated = rng.random(n) < _RATED
    score = np.where(late, _draw(rng, _SATISFACTION_LATE, n), _draw(rng, _SATISFACTION_ON_TIME, n))
    year = requested.astype("datetime64[Y]").astype(int) + 1970
    ids = [f"PAKN-{ctx.province_code}-{y}-{i:06d}" for i, y in enumerate(year, start=1)]
    codes = np.array([s.code for s in SERVICES])[service]
    names = np.array([s.name for s in SERVICES])[service]
    tickets = pd.DataFrame({
        "service_request_id": ids, "service_code": codes, "service_name": names, "description": description,
        "requested_datetime": requested, "expected_datetime": expected, "lat": lat, "long": lon,
        "address": address, "agency_responsible": agency, "area_code": area_code,
    })
    horizon = np.datetime64(ctx.horizon, "s")
    events = [tickets.assign(status="open", updated_datetime=requested, satisfaction=np.nan)]
    ip = in_progress < horizon
    events.append(tickets[ip].assign(status="in_progress", updated_datetime=in_progress[ip], satisfaction=np.nan))
    done = closed < horizon
    events.append(tickets[done].assign(status="closed", updated_datetime=closed[done],
                                       satisfaction=np.where(rated[done], score[done], np.nan)))
    frame = pd.concat(events, ignore_index=True)
    frame["status_order"] = frame["status"].map({"open": 0, "in_progress": 1, "closed": 2})
    frame = frame.sort_values(["updated_datetime", "service_request_id", "status_order"], kind="stable")
    return frame[TICKET_COLUMNS].reset_index(drop=True)


def _office_hours(times: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Officers act on working days between 07:30 and 17:00: later times move to the next morning."""
    day = times.astype("datetime64[D]")
    seconds = (times - day).astype(int)
    late = seconds >= 17 * 3600
    early = seconds < 7 * 3600 + 1800
    day = day + late.astype("timedelta64[D]")
    weekday = (day.astype(int) + 3) % 7
    day = day + np.where(weekday >= 5, 7 - weekday, 0).astype("timedelta64[D]")
    morning = 7 * 3600 + 1800 + rng.integers(0, 9 * 3600 + 1800, len(times))
    moved = late | early | (weekday >= 5)
    seconds = np.where(moved, np.maximum(morning, np.where(early & ~late, seconds, 0)), seconds)
    return day.astype("datetime64[s]") + seconds.astype("timedelta64[s]")


def _pick(options: tuple[np.ndarray, np.ndarray] | None, rng: np.random.Generator) -> str:
    if options is None:
        return ""
    codes, weights = options
    return str(codes[rng.choice(len(codes), p=weights)]) if len(codes) > 1 else str(codes[0])


def _draw(rng: np.random.Generator, probabilities: np.ndarray, n: int) -> np.ndarray:
    return rng.choice(np.arange(1, 6), size=n, p=probabilities).astype(float)


def write_tickets(ctx: DemoContext, pop: Population, shapes: CommuneShapes, units: pd.DataFrame,
                  out_dir: Path) -> list[Path]:
    frame = build_tickets(ctx, pop, shapes, units)
    last_month = (ctx.horizon - timedelta(seconds=1)).strftime("%Y-%m")
    month = frame["updated_datetime"].dt.strftime("%Y-%m")
    written: list[Path] = []
    older = frame[month != last_month]
    for year, part in older.groupby(older["updated_datetime"].dt.year, sort=True):
        data = part.copy()
        for column in ("requested_datetime", "updated_datetime", "expected_datetime"):
            data[column] = data[column].dt.strftime("%Y-%m-%d %H:%M:%S")
        data["satisfaction"] = data["satisfaction"].astype("Int64")
        written.append(write_csv(data, out_dir / f"tickets_{year}.csv"))
    recent = frame[month == last_month].copy()
    for column in ("requested_datetime", "updated_datetime", "expected_datetime"):
        recent[column] = recent[column].dt.strftime("%Y-%m-%dT%H:%M:%S+07:00")
    recent["area_code"] = recent["area_code"].replace("", None)
    recent["satisfaction"] = recent["satisfaction"].astype("Int64").astype(object).where(
        recent["satisfaction"].notna(), None)
    written.append(write_jsonl(recent, out_dir / f"tickets_{last_month}.jsonl"))
    return written
