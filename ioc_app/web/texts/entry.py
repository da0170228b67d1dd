"""Interface texts of the entry page and of the figures grid it shares with approvals."""

TEXTS: dict[str, dict[str, str]] = {
    "entry": {"vi": "Nhập số liệu", "en": "Data entry"},
    "entry_due_title": {"vi": "Báo cáo cần nộp", "en": "Reports to send"},
    "entry_due_help": {"vi": "Chọn \u201cMở\u201d để nhập hoặc xem số liệu của báo cáo.",
                       "en": "Choose \u201cOpen\u201d to enter or view a report's figures."},
    "entry_nothing_due": {"vi": "Hiện không có báo cáo nào cần nộp.", "en": "Nothing to report at the moment."},
    "entry_col_regime": {"vi": "Chế độ báo cáo", "en": "Report"},
    "entry_col_period": {"vi": "Kỳ", "en": "Period"},
    "entry_col_deadline": {"vi": "Hạn nộp", "en": "Deadline"},
    "entry_col_status": {"vi": "Trạng thái", "en": "Status"},
    "entry_open": {"vi": "Mở", "en": "Open"},
    "entry_days_left": {"vi": "còn {n} ngày", "en": "{n} days left"},
    "entry_due_today": {"vi": "hôm nay là hạn cuối", "en": "due today"},
    "entry_open_exception": {"vi": "đã quá hạn, được phép nhập bổ sung", "en": "late, entry allowed by exception"},
    "entry_closed": {"vi": "đã khóa", "en": "closed"},
    "entry_status_new": {"vi": "Chưa nhập", "en": "Not started"},
    "entry_status_draft": {"vi": "Bản nháp", "en": "Draft"},
    "entry_status_submitted": {"vi": "Đã nộp, chờ {unit} duyệt", "en": "Submitted, awaiting {unit}"},
    "entry_status_returned": {"vi": "Bị trả lại: {comment}", "en": "Returned: {comment}"},
    "entry_status_approved": {"vi": "Đã duyệt", "en": "Approved"},
    "entry_pick": {"vi": "Chọn một báo cáo ở trên để mở bảng nhập số liệu.",
                   "en": "Pick a report above to open its figures."},
    "entry_grid_help": {"vi": "Bấm vào ô để nhập, Enter để xuống dòng dưới. Ô tô màu có ghi chú: "
                              "di chuột lên ô để xem.",
                        "en": "Click a cell to type, Enter moves down. Coloured cells carry a note: "
                              "point at the cell to read it."},
    "entry_locked": {"vi": "Chỉ xem, không sửa được: {reason}", "en": "Read only: {reason}"},
    "entry_locked_submitted": {"vi": "Đã nộp lúc {at}, đang chờ {unit} duyệt: chỉ xem, không sửa được. "
                                     "Nếu cần sửa, đề nghị người duyệt trả lại báo cáo.",
                               "en": "Submitted at {at}, awaiting {unit}: read only. To change a figure, "
                                     "ask the approver to return the report."},
    "entry_locked_approved": {"vi": "Số liệu đã được duyệt lúc {at} và đã khóa.",
                              "en": "The figures were approved at {at} and are locked."},
    "entry_locked_not_open": {"vi": "Kỳ này mở nhập từ ngày {day}.", "en": "Entry for this period opens on {day}."},
    "entry_locked_closed": {"vi": "Đã hết hạn nhập (ngày {day}). Muốn nộp muộn, đề nghị cấp duyệt cho phép "
                                  "nhập bổ sung.",
                            "en": "Entry closed on {day}. To report late, ask your approver for an exception."},
    "entry_save": {"vi": "Lưu nháp", "en": "Save draft"},
    "entry_submit": {"vi": "Nộp báo cáo", "en": "Submit"},
    "entry_submit_confirm": {"vi": "Nộp báo cáo này để cấp trên duyệt? Sau khi nộp sẽ không sửa được, "
                                   "trừ khi bị trả lại.",
                             "en": "Submit this report for approval? It cannot be changed afterwards "
                                   "unless it is returned."},
    "entry_download_xlsx": {"vi": "Tải Excel", "en": "Download Excel"},
    "entry_download_csv": {"vi": "Tải CSV", "en": "Download CSV"},
    "entry_upload": {"vi": "Tải lên tệp (Excel/CSV)", "en": "Upload a file (Excel/CSV)"},
    "entry_upload_help": {"vi": "Tải mẫu Excel về, điền số liệu rồi tải lên lại (tệp .xlsx hoặc .csv, "
                                "tối đa 50 MB). Tệp có lỗi sẽ không được lưu.",
                          "en": "Download the Excel form, fill it in and upload it back (.xlsx or .csv, "
                                "at most 50 MB). A file with any error stores nothing."},
    "entry_reload": {"vi": "Tải lại số liệu mới nhất", "en": "Load the latest figures"},
    "entry_conflict": {"vi": "Người khác đã lưu báo cáo này sau khi bạn mở nó, nên số liệu của bạn chưa được "
                             "lưu. Số bạn vừa gõ vẫn còn trong bảng: hãy ghi lại trước khi tải lại. ({message})",
                       "en": "Someone else saved this report after you opened it, so your figures were not "
                             "saved. What you typed is still in the grid: note it before you reload. ({message})"},
    "entry_saved": {"vi": "Đã lưu nháp. Khi đã nhập đủ, bấm \u201cNộp báo cáo\u201d để gửi lên cấp duyệt.",
                    "en": "Draft saved. When every figure is in, choose \u201cSubmit\u201d to send it for approval."},
    "entry_submitted": {"vi": "Đã nộp báo cáo. Kết quả duyệt hiện ở cột Trạng thái của bảng \u201cBáo cáo cần "
                              "nộp\u201d; nếu bị trả lại, mở báo cáo để xem ý kiến và sửa.",
                        "en": "Report submitted. The approval shows in the Status column of \u201cReports to "
                              "send\u201d; if it is returned, open it to read the comments and correct."},
    "entry_uploaded": {"vi": "Đã nhận số liệu từ tệp {file}.", "en": "Figures read from {file} and saved."},
    "entry_refused": {"vi": "Chưa lưu được: vui lòng sửa các ô dưới đây.",
                      "en": "Not saved: please correct the cells below."},
    "entry_error": {"vi": "Không thực hiện được: {message}", "en": "Could not do that: {message}"},
    "entry_problems_title": {"vi": "Cần sửa:", "en": "To correct:"},
    "entry_upload_refused": {"vi": "Tệp không được lưu vì có {n} lỗi:", "en": "The file was not stored: {n} errors"},
    "entry_explain_title": {"vi": "Số liệu khác thường so với các kỳ trước: vui lòng giải thích (không bắt buộc)",
                            "en": "Figures unusual against earlier periods: please explain (optional)"},
    "entry_explain_placeholder": {"vi": "Lý do (ví dụ: mùa vụ, sự kiện đặc biệt...)",
                                  "en": "Why (e.g. season, a special event...)"},
    "entry_returned_title": {"vi": "Người duyệt đề nghị xem lại các ô sau (tô màu cam). Sửa xong, bấm "
                                   "\u201cNộp báo cáo\u201d để nộp lại:",
                             "en": "The approver asks you to check these cells (in orange). When corrected, "
                                   "choose \u201cSubmit\u201d to send it again:"},
    "entry_mark_returned": {"vi": "Ý kiến của {who}: {text}", "en": "{who} commented: {text}"},
    "entry_mark_unusual": {"vi": "Khác thường: {reason}", "en": "Unusual: {reason}"},
    "entry_mark_changed": {"vi": "Lần nộp trước: {old}", "en": "Previous submission: {old}"},
    "entry_col_code": {"vi": "Mã", "en": "Code"},
    "entry_col_indicator": {"vi": "Chỉ tiêu", "en": "Indicator"},
    "entry_col_uom": {"vi": "Đơn vị tính", "en": "Unit"},
    "entry_col_value": {"vi": "Số liệu", "en": "Figure"},
    "entry_col_previous": {"vi": "Kỳ trước", "en": "Previous period"},
    "entry_col_last_year": {"vi": "Cùng kỳ năm trước", "en": "Same period last year"},
    "entry_col_file": {"vi": "Tệp", "en": "File"},
    "entry_col_sheet": {"vi": "Trang tính", "en": "Sheet"},
    "entry_col_row": {"vi": "Dòng", "en": "Row"},
    "entry_col_column": {"vi": "Cột", "en": "Column"},
    "entry_col_reason": {"vi": "Lý do", "en": "Reason"},
}
