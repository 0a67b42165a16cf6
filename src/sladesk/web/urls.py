from django.contrib.auth import views as auth_views
from django.urls import path

from sladesk.web import (
    account,
    help_centre,
    knowledge,
    knowledge_files,
    notification_settings,
    notifications,
    problems,
    releases,
    reports,
    requests,
    views,
)
from sladesk.web.actions import ACTIONS, action_view
from sladesk.web.mail_catcher import mail_detail, mail_list

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", account.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        account.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    # Unnamed: the link in the mail is built from the path (see password_reset_email.txt).
    path("password-reset/<uidb64>/<token>/", account.PasswordResetConfirmView.as_view()),
    path(
        "password-reset/complete/",
        account.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("account/", account.preferences, name="account"),
    path("account/tokens/", account.token_create, name="token_create"),
    path("account/tokens/revoke/", account.token_revoke, name="token_revoke"),
    path(
        "account/notifications/",
        notification_settings.notification_settings,
        name="notification_settings",
    ),
    path(
        "account/notifications/chat/",
        notification_settings.notification_chat,
        name="notification_chat",
    ),
    path("contract/", account.contract, name="contract"),
    path("notifications/", notifications.notification_list, name="notification_list"),
    path("notifications/bell/", notifications.bell, name="notification_bell"),
    path(
        "notifications/read-all/",
        notifications.notification_read_all,
        name="notification_read_all",
    ),
    path(
        "notifications/<int:notification_id>/open/",
        notifications.notification_open,
        name="notification_open",
    ),
    path("tickets/", views.ticket_list, name="ticket_list"),
    path("tickets/bulk/", views.ticket_bulk, name="ticket_bulk"),
    path("tickets/new/", views.ticket_new, name="ticket_new"),
    path("tickets/<int:ticket_id>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<int:ticket_id>/comment/", views.ticket_comment, name="ticket_comment"),
    *(
        path(f"tickets/<int:ticket_id>/{name}/", action_view(name), name=f"ticket_{name}")
        for name in ACTIONS
    ),
    path("problems/", problems.problem_list, name="problem_list"),
    path("problems/<int:problem_id>/", problems.problem_detail, name="problem_detail"),
    path("problems/<int:problem_id>/link/", problems.problem_link, name="problem_link"),
    path(
        "problems/<int:problem_id>/unlink/<int:ticket_id>/",
        problems.problem_unlink,
        name="problem_unlink",
    ),
    path("problems/<int:problem_id>/<str:action>/", problems.problem_step, name="problem_step"),
    path("attachments/<int:attachment_id>/", views.attachment_download, name="attachment_download"),
    *knowledge.urlpatterns,
    *releases.urlpatterns,
    *reports.urlpatterns,
    *requests.urlpatterns,
    *help_centre.urlpatterns,
    *knowledge_files.urlpatterns,
    path("mail/", mail_list, name="mail_list"),
    path("mail/<str:name>/", mail_detail, name="mail_detail"),
]
