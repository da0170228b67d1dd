"""Interface texts in Vietnamese (default) and English, and number/date formats via babel."""
from __future__ import annotations

from datetime import datetime

from babel import Locale
from babel.dates import format_datetime
from babel.numbers import format_decimal, format_percent

from ioc_app.web.texts import merged

# Parsed once: babel parses a locale given as text at every call (a third of a big table's time).
LOCALES = {"vi": Locale.parse("vi_VN"), "en": Locale.parse("en_GB")}

_TEXTS: dict[str, dict[str, str]] = {
    "app_title": {"vi": "Trung tâm Điều hành Thông minh", "en": "Intelligent Operations Center"},
    "province_prefix": {"vi": "Tỉnh", "en": "Province"},
    "overview": {"vi": "Tổng quan", "en": "Overview"},
    "nav_reporting": {"vi": "Báo cáo", "en": "Reporting"},
    "nav_admin": {"vi": "Quản trị", "en": "Administration"},
    "logout": {"vi": "Đăng xuất", "en": "Sign out"},
    "login_title": {"vi": "Đăng nhập", "en": "Sign in"},
    "username": {"vi": "Tên đăng nhập", "en": "Username"},
    "password": {"vi": "Mật khẩu", "en": "Password"},
    "login_button": {"vi": "Đăng nhập", "en": "Sign in"},
    "login_failed": {"vi": "Tên đăng nhập hoặc mật khẩu không đúng.", "en": "Wrong username or password."},
    "login_expired": {"vi": "Phiên đăng nhập đã hết hạn, vui lòng thử lại.", "en": "The form expired, please try again."},
    "login_locked": {"vi": "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {seconds} giây.",
                     "en": "Too many failed sign-ins. Please try again in {seconds} seconds."},
    "form_reload": {"vi": "Mở lại biểu mẫu", "en": "Open the form again"},
    "logout_confirm": {"vi": "Đăng xuất khỏi hệ thống?", "en": "Sign out?"},
    "back": {"vi": "Quay lại", "en": "Back"},
    "password_title": {"vi": "Đổi mật khẩu", "en": "Change password"},
    "password_due": {"vi": "Bạn cần đặt mật khẩu mới trước khi tiếp tục (mật khẩu được cấp hoặc đã quá hạn).",
                     "en": "Choose a new password before you continue (the password was issued to you or has expired)."},
    "current_password": {"vi": "Mật khẩu hiện tại", "en": "Current password"},
    "new_password": {"vi": "Mật khẩu mới", "en": "New password"},
    "repeat_password": {"vi": "Nhập lại mật khẩu mới", "en": "Repeat the new password"},
    "password_rules": {"vi": "Mật khẩu mới cần:", "en": "The new password needs:"},
    "password_button": {"vi": "Đổi mật khẩu", "en": "Change password"},
    "pw_rule_length": {"vi": "ít nhất {n} ký tự", "en": "at least {n} characters"},
    "pw_rule_upper": {"vi": "một chữ in hoa", "en": "an upper-case letter"},
    "pw_rule_lower": {"vi": "một chữ thường", "en": "a lower-case letter"},
    "pw_rule_digit": {"vi": "một chữ số", "en": "a digit"},
    "pw_rule_special": {"vi": "một ký tự đặc biệt như ! @ # hoặc %", "en": "a special character such as ! @ # or %"},
    "pw_rule_history": {"vi": "khác {n} mật khẩu gần nhất", "en": "to differ from your last {n} passwords"},
    "pw_missing": {"vi": "Mật khẩu mới cần có {rule}.", "en": "The new password needs {rule}."},
    "pw_mismatch": {"vi": "Hai lần nhập mật khẩu mới không khớp.", "en": "The two new passwords differ."},
    "pw_wrong_current": {"vi": "Mật khẩu hiện tại không đúng.", "en": "The current password is wrong."},
    "pw_reused": {"vi": "Mật khẩu mới trùng một trong {n} mật khẩu gần nhất.",
                  "en": "The new password is one of your last {n} passwords."},
    "kpi_figures": {"vi": "Số liệu KT-XH đã duyệt", "en": "Approved socio-economic figures"},
    "kpi_figures_sub": {"vi": "{n} chỉ tiêu, kỳ mới nhất {period}", "en": "{n} indicators, latest period {period}"},
    "kpi_tickets": {"vi": "Phản ánh đang xử lý", "en": "Open citizen tickets"},
    "kpi_tickets_sub": {"vi": "{overdue} quá hạn", "en": "{overdue} overdue"},
    "kpi_cameras": {"vi": "Camera trực tuyến", "en": "Cameras online"},
    "kpi_cameras_sub": {"vi": "{online} / {total} camera", "en": "{online} of {total} cameras"},
    "kpi_sensors": {"vi": "Cảm biến vượt ngưỡng", "en": "Sensors over threshold"},
    "kpi_sensors_sub": {"vi": "trên {total} cảm biến", "en": "of {total} sensors"},
    "kpi_growth": {"vi": "Tăng trưởng GRDP", "en": "GRDP growth"},
    "kpi_budget": {"vi": "Thu ngân sách", "en": "Budget revenue"},
    "map_title": {"vi": "Phản ánh đang xử lý theo xã, phường", "en": "Open tickets by commune"},
    "map_metric": {"vi": "Chỉ số bản đồ", "en": "Map measure"},
    "metric_open": {"vi": "Phản ánh đang xử lý", "en": "Open tickets"},
    "metric_overdue": {"vi": "Phản ánh quá hạn", "en": "Overdue tickets"},
    "metric_received": {"vi": "Phản ánh tiếp nhận 30 ngày", "en": "Tickets received, 30 days"},
    "approximate": {"vi": "Ranh giới gần đúng, chỉ để minh họa", "en": "Approximate boundaries, for illustration only"},
    "trend_title": {"vi": "Diễn biến chỉ tiêu", "en": "Indicator trend"},
    "tickets_monthly": {"vi": "Phản ánh tiếp nhận và giải quyết theo tháng",
                        "en": "Tickets received and resolved per month"},
    "ytd": {"vi": "lũy kế đến {period}", "en": "year to date, {period}"},
    "of_plan": {"vi": "đạt {share} KH", "en": "{share} of plan"},
    "plan": {"vi": "KH {value}", "en": "plan {value}"},
    "vs_last_year": {"vi": "{change} so cùng kỳ", "en": "{change} on last year"},
    "points": {"vi": "điểm %", "en": "pts"},
    "communes_count": {"vi": "{n} xã, phường", "en": "{n} communes"},
    "source_figures": {"vi": "Số liệu KT-XH", "en": "Socio-economic figures"},
    "source_tickets": {"vi": "Phản ánh", "en": "Tickets"},
    "source_cameras": {"vi": "Camera", "en": "Cameras"},
    "source_sensors": {"vi": "Cảm biến", "en": "Sensors"},
    "reform_line": {"vi": "Sắp xếp ĐVHC 1/7/2025", "en": "Reform 1 Jul 2025"},
    "received": {"vi": "Tiếp nhận", "en": "Received"},
    "resolved": {"vi": "Đã giải quyết", "en": "Resolved"},
    "tickets_unit": {"vi": "phản ánh", "en": "tickets"},
    "as_of": {"vi": "Dữ liệu đến", "en": "Data as of"},
    "no_data": {"vi": "Chưa có dữ liệu", "en": "No data yet"},
    "language": {"vi": "English", "en": "Tiếng Việt"},
    "pipelines": {"vi": "Trạng thái dữ liệu", "en": "Data pipelines"},
    "forbidden": {"vi": "Trang này dành cho: {roles}. Vai trò của tài khoản bạn không mở được trang này.",
                  "en": "This page is for: {roles}. Your account's role cannot open it."},
    "not_found": {"vi": "Không có trang này.", "en": "No such page."},
    "sources_title": {"vi": "Nguồn dữ liệu", "en": "Sources"},
    "freshness_title": {"vi": "Độ mới của dữ liệu", "en": "Data freshness"},
    "batches_title": {"vi": "Các lô nạp gần đây", "en": "Recent batches"},
    "quarantine_title": {"vi": "Bản ghi bị cách ly (7 ngày)", "en": "Quarantined records (7 days)"},
    "col_source": {"vi": "Nguồn", "en": "Source"},
    "col_kind": {"vi": "Loại", "en": "Kind"},
    "col_origin": {"vi": "Lấy từ", "en": "Origin"},
    "col_interval": {"vi": "Chu kỳ", "en": "Interval"},
    "col_last_run": {"vi": "Lần chạy cuối", "en": "Last run"},
    "col_last_ok": {"vi": "Thành công cuối", "en": "Last success"},
    "col_state": {"vi": "Tình trạng", "en": "State"},
    "col_loaded_24h": {"vi": "Nạp 24 giờ", "en": "Loaded, 24 h"},
    "col_quarantined_24h": {"vi": "Cách ly 24 giờ", "en": "Quarantined, 24 h"},
    "col_message": {"vi": "Thông báo", "en": "Message"},
    "col_newest": {"vi": "Bản ghi mới nhất", "en": "Newest record"},
    "col_records": {"vi": "Số bản ghi", "en": "Records"},
    "col_started": {"vi": "Bắt đầu", "en": "Started"},
    "col_file": {"vi": "Tệp", "en": "File"},
    "col_read": {"vi": "Đọc", "en": "Read"},
    "col_loaded": {"vi": "Nạp", "en": "Loaded"},
    "col_quarantined": {"vi": "Cách ly", "en": "Quarantined"},
    "col_status": {"vi": "Kết quả", "en": "Outcome"},
    "col_column": {"vi": "Cột", "en": "Column"},
    "col_reason": {"vi": "Lý do", "en": "Reason"},
    "col_last_seen": {"vi": "Gần nhất", "en": "Last seen"},
    "state_ok": {"vi": "Bình thường", "en": "On time"},
    "state_late": {"vi": "Chậm", "en": "Late"},
    "state_error": {"vi": "Lỗi", "en": "Failing"},
    "state_never": {"vi": "Chưa chạy", "en": "Never run"},
    "minutes": {"vi": "{n} phút", "en": "{n} min"},
    "kind_reports": {"vi": "Số liệu báo cáo", "en": "Report figures"},
    "kind_tickets": {"vi": "Phản ánh", "en": "Tickets"},
    "kind_cameras": {"vi": "Camera", "en": "Cameras"},
    "kind_sensors": {"vi": "Cảm biến", "en": "Sensors"},
    "none": {"vi": "Không có", "en": "None"},
    "wall": {"vi": "Màn hình điều hành", "en": "Wall screen"},
    "wall_reconnecting": {"vi": "Đang kết nối lại…", "en": "Reconnecting…"},
    "wall_view_overview": {"vi": "Tổng quan tình hình", "en": "Situation overview"},
    "wall_view_tickets": {"vi": "Phản ánh, kiến nghị", "en": "Citizen feedback"},
    "wall_view_sensors": {"vi": "Quan trắc môi trường", "en": "Environmental monitoring"},
    "wall_view_cameras": {"vi": "Camera giám sát", "en": "Surveillance cameras"},
    "wall_unknown_playlist": {"vi": "Không có danh sách phát \"{name}\", đang chiếu \"default\"",
                              "en": "No playlist \"{name}\", showing \"default\""},
    "wall_updated": {"vi": "Cập nhật", "en": "Updated"},
    "wall_late": {"vi": "chậm", "en": "late"},
    "wall_very_late": {"vi": "rất chậm", "en": "very late"},
    "wall_alert": {"vi": "Cảnh báo", "en": "Alert"},
    "wall_alerts_more": {"vi": "và {n} cảnh báo khác", "en": "and {n} more"},
    "alert_sensor": {"vi": "{kind} {value} {unit} tại {station}, {place} (ngưỡng {limit})",
                     "en": "{kind} {value} {unit} at {station}, {place} (limit {limit})"},
    "alert_overdue": {"vi": "{n} phản ánh quá hạn tại {place}", "en": "{n} overdue tickets in {place}"},
    "alert_overdue_one": {"vi": "1 phản ánh quá hạn tại {place}", "en": "1 overdue ticket in {place}"},
    "wall_tickets_monthly": {"vi": "Phản ánh theo tháng", "en": "Tickets per month"},
    "alert_cameras": {"vi": "{share} camera mất kết nối ({offline}/{total}), nhiều nhất tại {place}",
                      "en": "{share} of cameras offline ({offline} of {total}), most in {place}"},
    "sensor_salinity": {"vi": "Độ mặn", "en": "Salinity"},
    "sensor_water_level": {"vi": "Mực nước", "en": "Water level"},
    "sensor_pm25": {"vi": "Bụi PM2.5", "en": "PM2.5"},
    "wall_top_categories": {"vi": "Lĩnh vực nhiều phản ánh nhất, 30 ngày", "en": "Top categories, 30 days"},
    "wall_on_time": {"vi": "Đúng hạn (30 ngày)", "en": "On time (30 days)"},
    "wall_on_time_sub": {"vi": "{on_time}/{closed} phản ánh · TB {days} ngày",
                         "en": "{on_time} of {closed} · {days} days avg."},
    "wall_still_open": {"vi": "Còn đang xử lý", "en": "Still open"},
    "wall_sensors_over": {"vi": "{over}/{total} trạm vượt ngưỡng", "en": "{over} of {total} stations over the limit"},
    "wall_sensor_top": {"vi": "cao nhất: {station}", "en": "highest: {station}"},
    "wall_limit": {"vi": "Ngưỡng", "en": "Limit"},
    "wall_series_24h": {"vi": "{kind} 24 giờ qua ({unit})", "en": "{kind}, last 24 hours ({unit})"},
    "wall_series_title": {"vi": "Diễn biến 24 giờ · xanh: trong ngưỡng · đỏ: vượt ngưỡng",
                          "en": "Last 24 hours · blue: within limit · red: above it"},
    "wall_stations": {"vi": "Vị trí trạm quan trắc", "en": "Monitoring stations"},
    "wall_no_reading": {"vi": "không có số đo mới", "en": "no recent reading"},
    "wall_cameras_kind_traffic": {"vi": "Camera giao thông", "en": "Traffic cameras"},
    "wall_cameras_kind_security": {"vi": "Camera an ninh", "en": "Security cameras"},
    "wall_offline_list": {"vi": "Camera mất kết nối", "en": "Offline cameras"},
    "wall_offline_since": {"vi": "mất từ {time}", "en": "since {time}"},
    "wall_offline_long": {"vi": "hơn 7 ngày", "en": "over 7 days"},
    "wall_offline_more": {"vi": "và {n} camera khác", "en": "and {n} more"},
    "wall_camera_map": {"vi": "Vị trí camera", "en": "Camera locations"},
    "wall_online": {"vi": "Trực tuyến", "en": "Online"},
    "wall_offline": {"vi": "Mất kết nối", "en": "Offline"},
}

TEXTS = merged(_TEXTS)


def t(key: str, lang: str, **values: object) -> str:
    text = TEXTS[key].get(lang) or TEXTS[key]["vi"]
    return text.format(**values) if values else text


def number(value: float | int | None, lang: str, digits: int = 0) -> str:
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=LOCALES[lang])


def percent(value: float | None, lang: str, digits: int = 1, signed: bool = False) -> str:
    if value is None:
        return "–"
    pattern = "#,##0." + "0" * digits + "%"
    if signed:
        pattern = f"+{pattern};-{pattern}"
    return format_percent(value, format=pattern, locale=LOCALES[lang])


def signed(value: float, lang: str, digits: int = 1) -> str:
    pattern = "#,##0." + "0" * digits
    return format_decimal(value, format=f"+{pattern};-{pattern}", locale=LOCALES[lang])


def when(value: datetime | None, lang: str) -> str:
    if value is None:
        return "–"
    pattern = "HH:mm dd/MM/yyyy" if lang == "vi" else "dd MMM yyyy HH:mm"
    return format_datetime(value, pattern, locale=LOCALES[lang])
