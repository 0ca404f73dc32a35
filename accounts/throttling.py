"""Request limits of the API: per account by default, per organisation when the authority gave it
a limit of its own (accounts.models.ApiQuota), so that a national import is not slowed to a halt."""

from rest_framework.throttling import UserRateThrottle

from accounts.selectors import organisation_api_rate, user_organisation


class OrganisationRateThrottle(UserRateThrottle):
    """An account of an organisation with an `ApiQuota` counts in its organisation's budget, at its
    rate, with the organisation's other accounts; any other account on its own at the default user
    rate (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["user"]). Anonymous requests are the
    AnonRateThrottle's."""

    organisation = None

    def allow_request(self, request, view):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            organisation = user_organisation(user)
            rate = organisation_api_rate(organisation)
            if rate:
                self.organisation = organisation
                self.rate = rate
                self.num_requests, self.duration = self.parse_rate(rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        if self.organisation is not None:
            # One history of requests for all of the organisation's accounts.
            return self.cache_format % {"scope": "organisation", "ident": self.organisation.pk}
        return super().get_cache_key(request, view)
