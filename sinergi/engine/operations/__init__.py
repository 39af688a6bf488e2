"""Pure helpers of election-day operations (no Django)."""

from .checkin_sms import CHECKIN_HELP, CheckinSms, looks_like_checkin, parse_checkin_sms

__all__ = ["CHECKIN_HELP", "CheckinSms", "looks_like_checkin", "parse_checkin_sms"]
