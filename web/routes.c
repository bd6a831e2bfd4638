/* routes.c - the route table: every URL the service answers. */
#include <stddef.h>

#include "routes.h"

const struct route routes[] = {
    {"GET", "/api/targets", route_api_targets},
    {"GET", "/api/profiles", route_api_profiles},
    {"GET", "/metrics", route_metrics},
    {"GET", "/healthz", route_healthz},
    {NULL, NULL, NULL},
};
