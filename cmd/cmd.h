/* cmd.h - the subcommands' entry points; main.c picks one by name. Each returns the
 * process exit status: 0 done, 1 bad input, 2 bad usage. */
#ifndef HW_CMD_H
#define HW_CMD_H

int cmd_top(int argc, char **argv);
int cmd_fold(int argc, char **argv);
int cmd_flame(int argc, char **argv);
int cmd_graph(int argc, char **argv);
int cmd_leaks(int argc, char **argv);
int cmd_serve(int argc, char **argv);

#endif
