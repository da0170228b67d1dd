"""The indicator catalog: socio-economic indicators of the provincial/commune statistical system.

Names follow the indicator system for provinces, districts and communes (Decision
54/2016/QĐ-TTg, amended by 05/2023/QĐ-TTg). Codes are local (sector prefix + number)
because the official codes could not be verified offline; each indicator's generator
parameters sit next to its catalog entry so the catalog and the figures never drift apart.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Model:
    """How the province-wide monthly series is drawn.

    kind: flow (per-million-inhabitant yearly amount, summed over time), stock (level of a
    quantity that adds across areas), rate (a level, e.g. percent), cumulative (a rate that
    builds up over each year), level (per-head amount).
    base: yearly amount per million inhabitants at national-average income (flow, stock) or
    the level (rate, cumulative, level); `profile` names a regional value that replaces it.
    """

    kind: str
    base: float = 0.0
    growth: float = 0.0
    elasticity: float = 1.0
    season: str = "flat"
    noise: float = 0.03
    spread: float = 0.05
    bounds: tuple[float, float] = (0.0, float("inf"))
    profile: str | None = None
    profile_scale: float = 1.0
    income_shift: float = 0.0
    urban: float = 1.0
    weight: str = "population"


@dataclass(frozen=True)
class Indicator:
    code: str
    name_vi: str
    name_en: str
    unit: str
    sector: str
    frequency: str
    aggregation: str
    direction: str
    value_type: str
    level: str
    reporter: str
    model: Model
    criteria: tuple[str, ...] = field(default=())

    def catalog_entry(self, targets: dict[str, float]) -> dict:
        return {
            "code": self.code, "name_vi": self.name_vi, "name_en": self.name_en, "unit": self.unit,
            "sector": self.sector, "frequency": self.frequency, "aggregation": self.aggregation,
            "direction": self.direction, "value_type": self.value_type, "level": self.level,
            "targets": targets,
        }


PCT = (0.0, 100.0)
KT, NS, DT, DN = "Kinh tế tổng hợp", "Tài chính - Ngân sách", "Đầu tư", "Doanh nghiệp"
TM, DL, VT, CN = "Thương mại - Dịch vụ", "Du lịch", "Giao thông vận tải", "Công nghiệp"
NN, LD, DS, YT = "Nông nghiệp", "Lao động - Xã hội", "Dân số", "Y tế"
GD, VH, MT, AN, CDS = "Giáo dục", "Văn hóa", "Môi trường", "Trật tự, an toàn xã hội", "Chuyển đổi số"
SEX, RESIDENCE, ETHNICITY = "sex", "residence", "ethnicity"

INDICATORS: tuple[Indicator, ...] = (
    Indicator("KTTH01", "Tốc độ tăng tổng sản phẩm trên địa bàn (GRDP)", "GRDP growth rate", "%", KT,
              "quarter", "avg", "up", "percent", "province", "TK",
              Model("rate", profile="grdp_growth", noise=0.6, spread=0.1, bounds=(-5, 20))),
    Indicator("KTTH02", "Tổng sản phẩm trên địa bàn (GRDP) theo giá hiện hành", "GRDP at current prices",
              "tỷ đồng", KT, "quarter", "sum", "up", "number", "province", "TK",
              Model("flow", 114_000, 0.095, 1.0, "grdp", 0.01)),
    Indicator("KTTH03", "Tổng sản phẩm trên địa bàn bình quân đầu người", "GRDP per capita", "triệu đồng", KT,
              "year", "ratio", "up", "number", "province", "TK", Model("level", 114, 0.085, 1.0, noise=0.01)),
    Indicator("KTTH04", "Chỉ số giá tiêu dùng (CPI) so với cùng kỳ năm trước", "Consumer price index, year on year",
              "%", KT, "month", "avg", "down", "percent", "province", "TK",
              Model("rate", 103.4, noise=0.45, spread=0.004, bounds=(95, 115))),
    Indicator("NS01", "Tổng thu ngân sách nhà nước trên địa bàn", "State budget revenue in the province",
              "tỷ đồng", NS, "month", "sum", "up", "number", "province", "THUE",
              Model("flow", 6_000, 0.08, 1.4, "budget_revenue", 0.08)),
    Indicator("NS02", "Tổng chi ngân sách địa phương", "Local budget expenditure", "tỷ đồng", NS, "month", "sum",
              "up", "number", "province", "STC", Model("flow", 9_000, 0.07, 0.6, "budget_spending", 0.06)),
    Indicator("NS03", "Tỷ lệ giải ngân vốn đầu tư công so với kế hoạch", "Public investment disbursed, share of "
              "the annual plan (year to date)", "%", NS, "month", "ratio", "up", "percent", "province", "STC",
              Model("cumulative", 86, 0.02, noise=0.03, spread=0.06, bounds=PCT)),
    Indicator("DT01", "Vốn đầu tư thực hiện toàn xã hội trên địa bàn", "Total realised investment", "tỷ đồng", DT,
              "quarter", "sum", "up", "number", "province", "TK",
              Model("flow", 38_000, 0.09, 1.1, "investment", 0.04)),
    Indicator("DT02", "Vốn đầu tư trực tiếp nước ngoài (FDI) đăng ký", "Registered foreign direct investment",
              "triệu USD", DT, "quarter", "sum", "up", "number", "province", "STC",
              Model("flow", 380, 0.05, 2.2, noise=0.45)),
    Indicator("DN01", "Số doanh nghiệp thành lập mới", "Newly registered enterprises", "doanh nghiệp", DN, "month",
              "sum", "up", "integer", "province", "STC", Model("flow", 1_600, 0.06, 1.6, "enterprise", 0.08)),
    Indicator("DN02", "Tổng vốn đăng ký của doanh nghiệp thành lập mới", "Registered capital of new enterprises",
              "tỷ đồng", DN, "month", "sum", "up", "number", "province", "STC",
              Model("flow", 15_000, 0.05, 1.8, "enterprise", 0.25)),
    Indicator("DN03", "Số doanh nghiệp giải thể", "Enterprises dissolved", "doanh nghiệp", DN, "month", "sum",
              "down", "integer", "province", "STC", Model("flow", 220, 0.03, 1.5, "dissolution", 0.12)),
    Indicator("DN04", "Số doanh nghiệp đang hoạt động", "Active enterprises", "doanh nghiệp", DN, "quarter",
              "latest", "up", "integer", "province", "STC", Model("stock", 9_500, 0.05, 1.6, noise=0.005)),
    Indicator("TM01", "Tổng mức bán lẻ hàng hóa và doanh thu dịch vụ tiêu dùng",
              "Retail sales of goods and consumer services", "tỷ đồng", TM, "month", "sum", "up", "number",
              "province", "TK", Model("flow", 64_000, 0.09, 0.8, "retail", 0.02)),
    Indicator("TM02", "Kim ngạch xuất khẩu hàng hóa", "Merchandise export value", "triệu USD", TM, "month", "sum",
              "up", "number", "province", "SCT", Model("flow", 3_000, 0.1, 2.0, "export", 0.06)),
    Indicator("TM03", "Kim ngạch nhập khẩu hàng hóa", "Merchandise import value", "triệu USD", TM, "month", "sum",
              "up", "number", "province", "SCT", Model("flow", 2_600, 0.09, 2.2, "export", 0.08)),
    Indicator("TM04", "Doanh thu dịch vụ lưu trú, ăn uống", "Accommodation and food service revenue", "tỷ đồng", TM,
              "month", "sum", "up", "number", "province", "TK", Model("flow", 7_000, 0.1, 1.0, "tourism", 0.04)),
    Indicator("DL01", "Tổng lượt khách du lịch", "Tourist arrivals", "lượt người", DL, "month", "sum", "up",
              "integer", "province", "SVHTTDL", Model("flow", 1_300_000, 0.1, 0.6, "tourism", 0.05)),
    Indicator("DL02", "Lượt khách du lịch quốc tế", "International tourist arrivals", "lượt người", DL, "month",
              "sum", "up", "integer", "province", "SVHTTDL", Model("flow", 170_000, 0.15, 1.0, "tourism_intl", 0.08)),
    Indicator("DL03", "Tổng thu từ khách du lịch", "Tourism receipts", "tỷ đồng", DL, "quarter", "sum", "up",
              "number", "province", "SVHTTDL", Model("flow", 8_000, 0.12, 0.9, "tourism", 0.05)),
    Indicator("VT01", "Khối lượng hàng hóa vận chuyển", "Freight transported", "nghìn tấn", VT, "month", "sum", "up",
              "number", "province", "SXD", Model("flow", 25_000, 0.07, 0.8, "transport", 0.03)),
    Indicator("VT02", "Khối lượng hành khách vận chuyển", "Passengers carried", "nghìn lượt người", VT, "month",
              "sum", "up", "number", "province", "SXD", Model("flow", 50_000, 0.08, 0.7, "tourism", 0.03)),
    Indicator("CN01", "Chỉ số sản xuất công nghiệp (IIP) so với cùng kỳ năm trước",
              "Industrial production index, year on year", "%", CN, "month", "avg", "up", "percent", "province",
              "TK", Model("rate", 108, season="tet_shift", noise=2.0, spread=0.02, bounds=(80, 140))),
    Indicator("CN02", "Sản lượng điện thương phẩm", "Commercial electricity sales", "triệu kWh", CN, "month", "sum",
              "up", "number", "province", "SCT", Model("flow", 2_600, 0.08, 0.9, "electricity", 0.03)),
    Indicator("CN03", "Tỷ lệ lấp đầy các khu công nghiệp", "Industrial park occupancy rate", "%", CN, "year",
              "ratio", "up", "percent", "province", "BQLKCN",
              Model("rate", 68, 0.03, noise=1.5, spread=0.1, bounds=PCT)),
    Indicator("NN01", "Sản lượng lúa", "Rice output", "tấn", NN, "quarter", "sum", "up", "number", "commune",
              "SNNMT", Model("flow", growth=0.01, elasticity=0.0, season="rice", noise=0.05,
                             profile="rice", profile_scale=1e6, weight="farmland")),
    Indicator("NN02", "Sản lượng thủy sản nuôi trồng", "Aquaculture output", "tấn", NN, "quarter", "sum", "up",
              "number", "commune", "SNNMT",
              Model("flow", growth=0.04, elasticity=0.0, season="aquaculture", noise=0.05,
                    profile="aquaculture", profile_scale=1e6, weight="farmland")),
    Indicator("NN03", "Sản lượng thủy sản khai thác", "Capture fisheries output", "tấn", NN, "quarter", "sum", "up",
              "number", "province", "SNNMT",
              Model("flow", growth=0.01, elasticity=0.0, season="fishing", noise=0.06,
                    profile="fishing", profile_scale=1e6)),
    Indicator("NN04", "Diện tích gieo trồng lúa", "Rice planted area", "ha", NN, "year", "sum", "up", "number",
              "province", "SNNMT", Model("flow", growth=-0.01, elasticity=0.0, noise=0.02,
                                         profile="rice", profile_scale=1e6 / 5.9)),
    Indicator("NN05", "Tỷ lệ che phủ rừng", "Forest cover rate", "%", NN, "year", "ratio", "up", "percent",
              "province", "SNNMT", Model("rate", growth=0.004, noise=0.1, spread=0.15, profile="forest", bounds=PCT)),
    Indicator("NN06", "Tỷ lệ xã đạt chuẩn nông thôn mới", "Share of communes meeting the new-rural standard", "%", NN,
              "year", "latest", "up", "percent", "province", "SNNMT",
              Model("rate", growth=0.04, noise=0.5, spread=0.08, profile="new_rural", bounds=PCT)),
    Indicator("NN07", "Sản lượng thịt hơi xuất chuồng", "Live-weight meat output", "tấn", NN, "quarter", "sum", "up",
              "number", "province", "SNNMT", Model("flow", 55_000, 0.03, 0.0, "meat", 0.03)),
    Indicator("NN08", "Sản lượng cây ăn quả chủ yếu", "Output of main fruit crops", "tấn", NN, "quarter", "sum",
              "up", "number", "province", "SNNMT",
              Model("flow", growth=0.04, elasticity=0.0, season="fruit", noise=0.05, profile="fruit",
                    profile_scale=1e6)),
    Indicator("LD01", "Tỷ lệ thất nghiệp của lực lượng lao động trong độ tuổi",
              "Unemployment rate of the working-age labour force", "%", LD, "quarter", "ratio", "down", "percent",
              "province", "TK", Model("rate", 2.3, -0.02, noise=0.12, spread=0.12, bounds=(0.5, 10)),
              (SEX, RESIDENCE)),
    Indicator("LD02", "Số lao động được giải quyết việc làm mới", "Workers placed in new jobs", "người", LD,
              "quarter", "sum", "up", "integer", "province", "SNV", Model("flow", 16_000, 0.02, 0.0, noise=0.08)),
    Indicator("LD03", "Tỷ lệ lao động đã qua đào tạo có bằng cấp, chứng chỉ",
              "Share of workers trained with a degree or certificate", "%", LD, "year", "ratio", "up", "percent",
              "province", "TK", Model("rate", 28, 0.035, noise=0.4, spread=0.1, income_shift=15, bounds=PCT),
              (SEX, RESIDENCE)),
    Indicator("LD04", "Tỷ lệ hộ nghèo theo chuẩn nghèo đa chiều", "Multidimensional poverty rate (households)", "%",
              LD, "year", "ratio", "down", "percent", "commune", "SNNMT",
              Model("rate", growth=-0.15, noise=0.05, spread=0.35, profile="poverty", urban=0.45, bounds=PCT)),
    Indicator("LD05", "Tỷ lệ hộ cận nghèo", "Near-poverty rate (households)", "%", LD, "year", "ratio", "down",
              "percent", "commune", "SNNMT",
              Model("rate", growth=-0.1, noise=0.05, spread=0.3, profile="poverty", profile_scale=0.85, urban=0.5,
                    bounds=PCT)),
    Indicator("LD06", "Số hộ nghèo", "Poor households", "hộ", LD, "year", "sum", "down", "integer", "province",
              "SNNMT", Model("flow", growth=-0.15, elasticity=0.0, noise=0.02, profile="poverty",
                             profile_scale=1e6 / 100 / 3.6), (ETHNICITY,)),
    Indicator("DS01", "Dân số trung bình", "Average population", "người", DS, "year", "sum", "up", "integer",
              "commune", "TK", Model("stock", 1_000_000, 0.006, 0.0, noise=0.002), (SEX,)),
    Indicator("DS02", "Tỷ số giới tính của trẻ em mới sinh", "Sex ratio at birth", "bé trai/100 bé gái", DS, "year",
              "ratio", "down", "number", "province", "TK",
              Model("rate", 111, noise=0.8, spread=0.01, bounds=(100, 125))),
    Indicator("DS03", "Số trẻ em sinh ra", "Live births", "người", DS, "year", "sum", "up", "integer", "commune",
              "TK", Model("flow", 13_500, -0.02, 0.0, noise=0.03)),
    Indicator("DS04", "Tỷ suất sinh thô", "Crude birth rate", "‰", DS, "year", "ratio", "up", "number", "province",
              "TK", Model("rate", 13.5, -0.02, noise=0.2, spread=0.05, bounds=(5, 30))),
    Indicator("DS05", "Tuổi thọ trung bình tính từ lúc sinh", "Life expectancy at birth", "năm", DS, "year", "avg",
              "up", "number", "province", "TK",
              Model("rate", 74.5, 0.002, noise=0.1, spread=0.01, income_shift=1.5, bounds=(60, 85))),
    Indicator("YT01", "Tỷ lệ dân số tham gia bảo hiểm y tế", "Health insurance coverage", "%", YT, "year", "ratio",
              "up", "percent", "commune", "BHXH", Model("rate", 92, 0.008, noise=0.3, spread=0.02, bounds=(60, 100))),
    Indicator("YT02", "Số giường bệnh trên 10.000 dân", "Hospital beds per 10,000 population", "giường", YT, "year",
              "ratio", "up", "number", "province", "SYT", Model("rate", 32, 0.02, noise=0.3, spread=0.1)),
    Indicator("YT03", "Số bác sĩ trên 10.000 dân", "Doctors per 10,000 population", "bác sĩ", YT, "year", "ratio",
              "up", "number", "province", "SYT", Model("rate", 12, 0.04, noise=0.15, spread=0.1)),
    Indicator("YT04", "Tỷ lệ trẻ em dưới 1 tuổi được tiêm chủng đầy đủ các loại vắc xin",
              "Children under 1 fully immunised", "%", YT, "year", "ratio", "up", "percent", "commune", "SYT",
              Model("rate", 95, 0.002, noise=0.4, spread=0.02, bounds=(70, 100))),
    Indicator("YT05", "Tỷ lệ suy dinh dưỡng thể thấp còi của trẻ em dưới 5 tuổi", "Stunting among children under 5",
              "%", YT, "year", "ratio", "down", "percent", "province", "SYT",
              Model("rate", growth=-0.03, noise=0.2, spread=0.1, profile="stunting", bounds=PCT)),
    Indicator("GD01", "Tỷ lệ đi học đúng tuổi cấp tiểu học", "Net enrolment rate, primary school", "%", GD, "year",
              "ratio", "up", "percent", "province", "SGDDT", Model("rate", 99.2, 0.0005, noise=0.1, spread=0.003,
                                                                   bounds=(90, 100))),
    Indicator("GD02", "Tỷ lệ đi học đúng tuổi cấp trung học cơ sở", "Net enrolment rate, lower secondary school",
              "%", GD, "year", "ratio", "up", "percent", "province", "SGDDT",
              Model("rate", 93, 0.003, noise=0.3, spread=0.02, income_shift=4, bounds=(70, 100))),
    Indicator("GD03", "Tỷ lệ đi học đúng tuổi cấp trung học phổ thông", "Net enrolment rate, upper secondary school",
              "%", GD, "year", "ratio", "up", "percent", "province", "SGDDT",
              Model("rate", 72, 0.01, noise=0.5, spread=0.05, income_shift=14, bounds=(40, 100)), (SEX,)),
    Indicator("GD04", "Tỷ lệ trường học đạt chuẩn quốc gia", "Schools meeting the national standard", "%", GD,
              "year", "ratio", "up", "percent", "province", "SGDDT",
              Model("rate", 70, 0.03, noise=0.6, spread=0.08, bounds=PCT)),
    Indicator("GD05", "Tỷ lệ học sinh tốt nghiệp trung học phổ thông", "Upper-secondary graduation rate", "%", GD,
              "year", "ratio", "up", "percent", "province", "SGDDT",
              Model("rate", 98.6, 0.001, noise=0.3, spread=0.006, bounds=(85, 100))),
    Indicator("VH01", "Tỷ lệ hộ gia đình được công nhận danh hiệu Gia đình văn hóa",
              "Households recognised as cultured families", "%", VH, "year", "ratio", "up", "percent", "commune",
              "SVHTTDL", Model("rate", 90, 0.004, noise=0.5, spread=0.03, bounds=(60, 100))),
    Indicator("VH02", "Tỷ lệ thôn, ấp, tổ dân phố được công nhận danh hiệu văn hóa",
              "Villages and residential groups recognised as cultured", "%", VH, "year", "ratio", "up", "percent",
              "province", "SVHTTDL", Model("rate", 88, 0.005, noise=0.5, spread=0.03, bounds=(60, 100))),
    Indicator("MT01", "Tỷ lệ dân số được cung cấp nước sạch đạt quy chuẩn", "Population supplied with clean water "
              "meeting the standard", "%", MT, "year", "ratio", "up", "percent", "commune", "SNNMT",
              Model("rate", growth=0.03, noise=0.4, spread=0.08, profile="clean_water", urban=1.25, bounds=PCT)),
    Indicator("MT02", "Tỷ lệ chất thải rắn sinh hoạt đô thị được thu gom, xử lý",
              "Urban household solid waste collected and treated", "%", MT, "year", "ratio", "up", "percent",
              "province", "SNNMT", Model("rate", 92, 0.01, noise=0.5, spread=0.03, bounds=(60, 100))),
    Indicator("MT03", "Tỷ lệ khu công nghiệp có hệ thống xử lý nước thải tập trung đạt quy chuẩn",
              "Industrial parks with a compliant central wastewater plant", "%", MT, "year", "ratio", "up", "percent",
              "province", "SNNMT", Model("rate", 90, 0.01, noise=1.0, spread=0.05, bounds=(50, 100))),
    Indicator("AN01", "Số vụ tai nạn giao thông", "Road traffic accidents", "vụ", AN, "month", "sum", "down",
              "integer", "province", "CA", Model("flow", 250, -0.04, 0.0, "accidents", 0.12)),
    Indicator("AN02", "Số người chết do tai nạn giao thông", "Road traffic deaths", "người", AN, "month", "sum",
              "down", "integer", "province", "CA", Model("flow", 110, -0.04, 0.0, "accidents", 0.15)),
    Indicator("CDS01", "Tỷ lệ hồ sơ thủ tục hành chính được xử lý trực tuyến toàn trình",
              "Administrative procedures processed fully online", "%", CDS, "month", "ratio", "up", "percent",
              "province", "SKHCN", Model("rate", 45, 0.2, noise=1.5, spread=0.08, bounds=PCT)),
    Indicator("CDS02", "Tỷ lệ hồ sơ thủ tục hành chính giải quyết đúng hạn",
              "Administrative procedures settled on time", "%", CDS, "month", "ratio", "up", "percent", "province",
              "VPUBND", Model("rate", 97, 0.005, noise=0.5, spread=0.01, bounds=(80, 100))),
)
