/* Entry points of the `deflector` objects, one file each in cli/. */
#ifndef DFL_CLI_COMMANDS_H
#define DFL_CLI_COMMANDS_H

int dfl_cmd_version(int argc, char **argv);
int dfl_cmd_apply(int argc, char **argv);
int dfl_cmd_delete(int argc, char **argv);
int dfl_cmd_get(int argc, char **argv);
int dfl_cmd_identity(int argc, char **argv);
int dfl_cmd_status(int argc, char **argv);
int dfl_cmd_agent(int argc, char **argv);
int dfl_cmd_endpoint(int argc, char **argv);
int dfl_cmd_exec(int argc, char **argv);
int dfl_cmd_policy(int argc, char **argv);
int dfl_cmd_observe(int argc, char **argv);
int dfl_cmd_audit(int argc, char **argv);

#endif
