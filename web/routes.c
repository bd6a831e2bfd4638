/* routes.c - the route table: every URL the service answers. */
#include <stddef.h>

#include "routes.h"

const struct route routes[] = {
    {"GET", "/api/targets", route_api_targets},
    {"GET", "/api/profiles", route_api_profiles},
    {"GET", "/metrics", route_metrics},
    {"GET", "/healthz", route_healthz},
    {"GET", "/", route_ui},
    {"GET", "/flame.svg", route_flame_svg},
    {"GET", "/flame.png", route_flame_png},
    {"GET", "/flame.json", route_flame_json},
    {"GET", "/graph.svg", route_graph_svg},
    {"GET", "/graph.png", route_graph_png},
    {"GET", "/graph.dot", route_graph_dot},
    {"GET", "/folded", route_folded},
    {"GET", "/top.json", route_top_json},
    {"GET", "/profile.pb.gz", route_profile_raw},
    {"GET", "/api/summary", route_api_summary},
    {"GET", "/api/leaks", route_api_leaks},
    {"GET", "/leaks.svg", route_leaks_svg},
    {"GET", "/leaks.png", route_leaks_png},
    {"POST", "/render/flame.svg", route_post_flame_svg},
    {"POST", "/render/flame.png", route_post_flame_png},
    {"POST", "/render/flame.json", route_post_flame_json},
    {"POST", "/render/graph.svg", route_post_graph_svg},
    {"POST", "/render/graph.png", route_post_graph_png},
    {"POST", "/render/graph.dot", route_post_graph_dot},
    {"POST", "/render/folded", route_post_folded},
    {"POST", "/render/top.json", route_post_top_json},
    {NULL, NULL, NULL},
};
