"""Interface texts of the accounts page (Vietnamese, English)."""

TEXTS: dict[str, dict[str, str]] = {
    "accounts": {"vi": "Tài khoản", "en": "Accounts"},
    "accounts_scope_all": {"vi": "Quản trị hệ thống: mọi tài khoản.", "en": "System administrator: every account."},
    "accounts_scope_unit": {"vi": "Quản trị đơn vị: tài khoản của {unit} và các đơn vị trực thuộc.",
                            "en": "Unit admin: accounts of {unit} and the units below it."},
    "accounts_new": {"vi": "Cấp tài khoản mới", "en": "New account"},
    "accounts_username": {"vi": "Tên đăng nhập", "en": "Username"},
    "accounts_full_name": {"vi": "Họ và tên", "en": "Full name"},
    "accounts_role": {"vi": "Vai trò", "en": "Role"},
    "accounts_unit": {"vi": "Đơn vị", "en": "Unit"},
    "accounts_no_unit": {"vi": "(không thuộc đơn vị)", "en": "(no unit)"},
    "accounts_create": {"vi": "Cấp tài khoản", "en": "Create account"},
    "accounts_act": {"vi": "Thao tác trên tài khoản", "en": "Act on an account"},
    "accounts_pick": {"vi": "Chọn tài khoản", "en": "Choose an account"},
    "accounts_reset": {"vi": "Cấp lại mật khẩu", "en": "Reset password"},
    "accounts_close": {"vi": "Khóa vĩnh viễn", "en": "Close for good"},
    "accounts_close_confirm": {
        "vi": "Khóa vĩnh viễn tài khoản này? Tài khoản không bị xóa (dữ liệu giữ tác giả) nhưng không thể "
              "đăng nhập lại.",
        "en": "Close this account for good? It is not deleted (its data keep their author) but can never "
              "sign in again."},
    "accounts_grant": {"vi": "Đổi vai trò", "en": "Change role"},
    "accounts_handover": {"vi": "Bàn giao cho người khác", "en": "Hand over to another person"},
    "accounts_handover_to": {"vi": "Người nhận (họ và tên)", "en": "New holder (full name)"},
    "accounts_handover_reason": {"vi": "Lý do", "en": "Reason"},
    "accounts_handover_on": {"vi": "Ngày bàn giao", "en": "Handover date"},
    "accounts_handover_do": {"vi": "Ghi nhận bàn giao", "en": "Record handover"},
    "accounts_handover_help": {
        "vi": "Mật khẩu mới được cấp, người nhận phải đổi khi đăng nhập lần đầu; mọi phiên đăng nhập cũ kết thúc.",
        "en": "A new password is issued, to be changed at the first sign-in; every old session ends."},
    "accounts_list": {"vi": "Danh sách tài khoản", "en": "Accounts"},
    "accounts_history": {"vi": "Lịch sử bàn giao", "en": "Handover history"},
    "accounts_none": {"vi": "Chưa có tài khoản nào.", "en": "No account yet."},
    "accounts_no_handover": {"vi": "Chưa có lần bàn giao nào.", "en": "No handover yet."},
    "accounts_col_status": {"vi": "Trạng thái", "en": "Status"},
    "accounts_col_created": {"vi": "Ngày cấp", "en": "Created"},
    "accounts_col_from": {"vi": "Người giao", "en": "From"},
    "accounts_col_to": {"vi": "Người nhận", "en": "To"},
    "accounts_col_by": {"vi": "Người ghi nhận", "en": "Recorded by"},
    "accounts_col_at": {"vi": "Ghi lúc", "en": "Recorded at"},
    "accounts_active": {"vi": "Đang dùng", "en": "Active"},
    "accounts_must_change": {"vi": "Chờ đổi mật khẩu", "en": "Password change due"},
    "accounts_closed": {"vi": "Đã khóa {date}", "en": "Closed {date}"},
    "accounts_issued": {
        "vi": "Mật khẩu cấp cho {user}: {password} — chỉ hiện một lần; hãy trao tận tay, người dùng phải "
              "đổi khi đăng nhập lần đầu.",
        "en": "Password issued for {user}: {password} — shown once only; hand it over in person, it must be "
              "changed at the first sign-in."},
    "accounts_closed_done": {"vi": "Đã khóa tài khoản {user}.", "en": "Account {user} closed."},
    "accounts_granted": {"vi": "Tài khoản {user} nay có vai trò {role}.", "en": "Account {user} now has the role {role}."},
    "accounts_refused": {"vi": "Không thực hiện được: {reason}", "en": "Not done: {reason}"},
    "accounts_pick_first": {"vi": "Hãy chọn một tài khoản trước.", "en": "Choose an account first."},
}
