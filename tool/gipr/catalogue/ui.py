"""The local web workbench: refusals and results (``ui.*``), its start page (``start.*``) and its
邮箱设置 page (``mailform.*``)."""

from __future__ import annotations

# The local web workbench (gipr ui): refusals, results and the one line it prints.
UI: dict[str, str] = {
    "ui.bad_host": "拒绝访问：请求的主机名不是本机的 gipr 工作台（只接受 127.0.0.1 或 localhost）。",
    "ui.bad_token": "拒绝访问：访问令牌不正确。请双击桌面上的“gipr 年报工作台”图标重新打开工作台。",
    "ui.no_token": ("拒绝访问：缺少访问令牌。请双击桌面上的“gipr 年报工作台”图标打开工作台"
                 "（或使用 gipr ui --print-url 显示的网址）。"),
    "ui.bad_method": "不支持这种请求方式。",
    "ui.cross_site": "拒绝访问：请求来自其他网站。",
    "ui.no_csrf": "拒绝访问：请求缺少页面校验码（CSRF）。请刷新页面后重试。",
    "ui.not_found": "找不到这个页面或文件。",
    "ui.internal": "内部错误：{error}。这是 gipr 的缺陷，请把这行报告给维护者。已有数据未被修改。",
    "ui.upload_none": "没有收到文件：请选择或拖入要收集的报表或邮件（.eml）。",
    "ui.upload_too_many": "一次最多上传 {limit} 个文件，本次有 {n} 个以上。请分批上传。",
    "ui.upload_too_large": "上传的内容太大（超过 {limit} MB）。请分批上传。",
    "ui.upload_bad": "上传的内容无法解析（{detail}）。请重新选择文件上传。",
    "ui.upload_truncated": "上传的内容不完整（在“{name}”处中断，没有结束标记），什么都没有收集。请重新上传。",
    "ui.upload_source": "网页上传：{name}",
    "ui.upload_source_short": "网页上传",
    "ui.why_more": "（另有 {n} 处错误，见单位页面）",
    "ui.bad_form": "请求参数不正确：{detail}",
    "ui.unknown_unit": "单位名册中没有代码为“{code}”的单位。",
    "ui.unknown_submission": "台账中没有报送 #{id}。",
    "ui.unknown_document": "台账中没有编号为 {id} 的年报文稿。",
    "ui.no_feedback": "报送 #{id} 没有可标注的问题，或文件无法读取，无法生成反馈表。",
    "ui.unknown_run": "找不到这次汇总（{run}）。请重新汇总后再生成年度报告。",
    "ui.confirm_mismatch": "确认的单位数（{confirm}）与将要发送的单位数（{planned}）不一致，未发送。请重新预览后再确认。",
    "ui.started": "gipr 工作台已启动（工作目录 {root}）。在浏览器中打开上面的网址；按 Ctrl-C 停止。",
    "ui.open_host_warning": ("警告：工作台监听在 {host} 上，同一网络中的其他电脑也能连接（仍需访问令牌）。"
                          "只在确有需要时这样做；默认只监听本机 127.0.0.1。"),
    "ui.stopped": "gipr 工作台已停止。",
    "ui.run_units": "汇总 {n} 个单位",
    "ui.run_with_errors": "含有错误的单位",
    "ui.run_no_errors": "不含有错误的单位",
    "ui.run_previous": "与上年对比（{name}）",
}

# The workbench's start page (gipr ui without a workspace) and its way back in.
START: dict[str, str] = {
    "start.no_workspace": "还没有打开年度工作目录：请在“开始”页面新建或打开一个。",
    "start.folder_name": "{county}{year}年度政府信息公开年报",
    "start.bad_year": "报告年度“{year}”不是一个年份（如 2025）。",
    "start.no_county": "请填写本级名称（如 灵丘县），它会出现在汇总表和年度报告的标题中。",
    "start.bad_county": "本级名称“{county}”不能含有 \\ / : * ? \" < > | 等字符，且不超过 40 字。",
    "start.roster_rows": "单位名册 {name} 有 {n} 行需要修改（见下表），修改后重新选择文件。工作目录未创建。",
    "start.no_roster": "请选择单位名册文件（.xlsx 或 .csv，包含列：单位代码、单位名称、类别、联系人、邮箱）。",
    "start.bad_parent": "保存位置“{parent}”应是一个完整的文件夹路径（如 D:\\年报）。",
    "start.exists": "{path} 已经是一个年度工作目录，未做修改。请在下面“最近使用”中打开它。",
    "start.no_path": "请填写要打开的工作目录所在的文件夹。",
    "start.print_url": "工作台网址（含访问令牌，请勿发给他人）：",
    "start.already_running": "工作台已在运行，已在浏览器中打开：{url}",
    "start.port_busy": "端口 {port} 已被其他程序占用，无法启动工作台。请用 --port 换一个端口（如 --port 8621）。",
    "start.launcher_written": "已写入桌面启动图标：{path}。以后双击它即可打开工作台，无需终端。",
    "start.started_start": "gipr 工作台已启动（尚未打开工作目录：请在浏览器中新建或打开）。按 Ctrl-C 停止。",
}

# The workbench's 邮箱设置 page (SMTP and IMAP settings; passwords in the OS credential store).
MAILFORM: dict[str, str] = {
    "mailform.where": "邮箱设置",
    "mailform.smtp_host": "发件服务器", "mailform.smtp_port": "发件服务器端口", "mailform.smtp_security": "发件加密方式", "mailform.smtp_user": "发件登录名",
    "mailform.from_addr": "发件人邮箱", "mailform.from_name": "发件人名称", "mailform.deadline": "报送截止日期", "mailform.contact": "联系方式",
    "mailform.smtp_cafile": "发件服务器证书文件", "mailform.smtp_password": "发件邮箱密码或授权码",
    "mailform.imap_host": "收件服务器", "mailform.imap_port": "收件服务器端口", "mailform.imap_security": "收件加密方式", "mailform.imap_user": "收件登录名",
    "mailform.imap_folder": "收件文件夹", "mailform.imap_cafile": "收件服务器证书文件", "mailform.imap_password": "收件邮箱密码或授权码",
    "mailform.need": "请填写“{what}”。",
    "mailform.bad_address": "“{what}”中的“{value}”不是有效的邮箱地址。",
    "mailform.bad_choice": "“{what}”只能选 加密（SSL）、STARTTLS 或 不加密，现在是“{value}”。",
    "mailform.bad_port": "“{what}”应是 1 到 65535 之间的数字，现在是“{value}”。",
    "mailform.no_file": "“{what}”中的文件不存在：{value}",
    "mailform.need_password": "请填写“{what}”后再测试（这台电脑上还没有保存它）。",
    "mailform.no_folder": "收件邮箱中没有文件夹“{folder}”。",
    "mailform.smtp_ok": "发件服务器 {host}:{port}：连接成功，已登录。",
    "mailform.imap_ok": "收件服务器 {host}:{port}：连接成功，已登录，收件文件夹可以打开。",
    "mailform.saved": "邮箱设置已保存。",
    "mailform.saved_pw": "密码已保存在这台电脑的系统密码保管库中（不写入任何文件）。",
    "mailform.no_store_note": "这台电脑没有可用的系统密码保管库，密码没有保存：每次发送或收取时请在页面上输入。",
    "mailform.no_store": "这台电脑没有可用的系统密码保管库，无法保存密码：每次发送或收取时请在页面上输入。",
    "mailform.store_failed": "系统密码保管库没有保存密码（{error}）。每次发送或收取时请在页面上输入。",
    "mailform.not_set_mail": "还没有设置发件邮箱：请先打开“邮箱设置”页面填写发件服务器和发件人邮箱。",
    "mailform.not_set_imap": "还没有设置收件邮箱：请先打开“邮箱设置”页面填写收件服务器。",
    "mailform.need_smtp_password": "需要发件邮箱的密码：请在“发件邮箱密码或授权码”框中输入，或在“邮箱设置”页面保存。",
    "mailform.need_imap_password": "需要收件邮箱的密码：请在密码框中输入，或在“邮箱设置”页面保存。",
}

# The workbench's pages and what its core says (moved from the modules of gipr/ui).
WORKBENCH: dict[str, str] = {    # gipr/ui/core.py
    "ui.core.purpose": "gipr ui 网页工作台",
    "ui.core.who": "{user}（网页工作台）",
    "ui.core.who_2": "网页工作台",
    "ui.core.status_workbook": "{county}{year}年度报送情况.xlsx",
    "ui.core.unit_page.described": "{when} 收到的 {file_name}",
    "ui.core.document_source_zh": "发件人：",
    "ui.core.document_source_zh.subject": "主题",
    "ui.core.document_source_zh_2": "邮件：{bits}{value}",
    "ui.core.document_source_zh_3": "文件夹“{parts}”",
    "ui.core.document_source_zh_4": "文件",
    "ui.core.source_zh": "邮件：{value}{value2}",
    "ui.core.xlsx": "汇总表.xlsx",
    "ui.core.html": "汇总表.html",
    "ui.core.previous_stem": "上年",
    "ui.core.chart_figures": "新收申请",
    "ui.core.chart_figures_2": "上年结转",
    "ui.core.chart_figures_3": "予以公开",
    "ui.core.chart_figures_4": "办理总计",
    "ui.core.chart_figures_5": "结转下年",
    "ui.core.zh_time": "{year}年{month}月{day}日 {hour:02d}:{minute:02d}",
    "ui.core.report_file": "年度报告.docx",
    "ui.core.report_file_2": "{value}年政府信息公开工作年度报告_各单位.zip",
    "ui.core.templates_zip.name": "{year}年度政府信息公开统计表模板.zip",
    # gipr/ui/core.py
    "ui.core.document_source_zh.bits": "发件人",
    "ui.core.document_source_zh.value": "（无）",
    # gipr/ui/pages.py
    "ui.pages.nav": "报送情况",
    "ui.pages.nav_2": "收集",
    "ui.pages.nav_3": "模板与发送",
    "ui.pages.nav_4": "汇总",
    "ui.pages.nav_5": "邮箱设置",
    "ui.pages.nav_6": "切换年度",
    "ui.pages.error_page.title": "出错了",
    "ui.pages.progress_svg.parts": '<svg id="progress" class="progress" viewBox="0 0 1000 28" preserveAspectRatio="none" role="img" aria-label="报送进度">',
    "ui.pages.category_chart.c": "（未分类）",
    "ui.pages.category_chart.out": '<svg id="chart" class="chart" viewBox="0 0 {value} {height}" role="img" aria-label="各类别报送情况" xmlns="http://www.w3.org/2000/svg">',
    "ui.pages.figures_chart.series": "{year} 年",
    "ui.pages.figures_chart": "{value} 年",
    "ui.pages.figures_chart.out": '<svg id="figures" class="chart" viewBox="0 0 {width} 300" role="img" aria-label="主要数字对比" xmlns="http://www.w3.org/2000/svg">',
    # gipr/ui/app.py
    "ui.app.dl_merge.stem": "{value}{value2}年度政府信息公开统计汇总表",
    "ui.app.dl_templates": "{year}年度政府信息公开统计表模板.zip",
    # gipr/ui/userconf.py
    "ui.userconf.default_parent.docs": "文档",
    "ui.userconf.launcher_name": "gipr 年报工作台",
    "ui.userconf.launcher_text.body": "@echo off\r\nrem gipr 政府信息公开年报工作台：双击打开（关闭这个窗口即停止工作台）\r\nchcp 65001 >nul\r\ntitle {launcher_name}\r\n{quoted}\r\n",
    "ui.userconf.launcher_text.body_2": "[Desktop Entry]\nType=Application\nVersion=1.0\nName={launcher_name}\nComment=政府信息公开工作年度报告：收集、校验、汇总\nExec={items}\nTerminal=false\nCategories=Office;\n",
    # gipr/ui/mailform.py
    "ui.mailform.page.title": "邮箱设置",
    # gipr/ui/security.py
    "ui.security.refuse.body": '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>gipr 工作台</title></head><body><h1>gipr 工作台</h1><p>{escape}</p></body></html>',
    # gipr/ui/start.py
    "ui.start.page.title": "开始",
}

TEXTS: dict[str, str] = {**UI, **START, **MAILFORM, **WORKBENCH}
