from django.urls import path

from . import views

app_name = "messaging"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("jumlah/", views.inbox_count, name="inbox_count"),
    path("<int:pk>/", views.inbox_item, name="inbox_item"),
    path("notifikasi/", views.push_subscriptions, name="push_subscriptions"),
    path("notifikasi/hapus/", views.push_unsubscribe, name="push_unsubscribe_mine"),
    path("notifikasi/<int:pk>/hapus/", views.push_unsubscribe, name="push_unsubscribe"),
    path("kirim/", views.compose, name="compose"),
    path("keluar/", views.outbox_list, name="sent_list"),
    path("keluar/<int:pk>/", views.sent_detail, name="sent_detail"),
    path("keluar/<int:pk>/hitung/", views.sent_counts, name="sent_counts"),
    path("keluar/<int:pk>/tutup/", views.sent_close, name="sent_close"),
    path("kontak/", views.contacts, name="contacts"),
    path("kontak/<int:pk>/buka/", views.contact_reveal, name="contact_reveal"),
    path("webhook/sms/", views.sms_webhook, name="webhook_sms"),
    path("webhook/telegram/", views.telegram_webhook, name="webhook_telegram"),
    path("webhook/whatsapp/", views.whatsapp_webhook, name="webhook_whatsapp"),
]
