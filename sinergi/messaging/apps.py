from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "sinergi.messaging"
    label = "messaging"
    verbose_name = "Pesan ke lapangan dan saluran SMS/Telegram/WhatsApp"
