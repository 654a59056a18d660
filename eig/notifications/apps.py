from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "eig.notifications"
    label = "notifications"
    verbose_name = "Mails et relances"
