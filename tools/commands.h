// tracectl's commands. Each takes the arguments after its name and returns the
// process exit code (see cli.h).
#ifndef TRACELEDGER_TOOLS_COMMANDS_H_
#define TRACELEDGER_TOOLS_COMMANDS_H_

namespace traceledger::cli {

int CmdKeygen(int argc, char** argv);
int CmdSign(int argc, char** argv);
int CmdVerify(int argc, char** argv);
int CmdHash(int argc, char** argv);
int CmdBenchCrypto(int argc, char** argv);
int CmdVerifyChain(int argc, char** argv);
int CmdTestnet(int argc, char** argv);
int CmdSubmit(int argc, char** argv);
int CmdDemoLoad(int argc, char** argv);
int CmdStatus(int argc, char** argv);
int CmdGet(int argc, char** argv);
int CmdVerifyTrace(int argc, char** argv);
int CmdTlsKeygen(int argc, char** argv);
int CmdTlsPin(int argc, char** argv);

}  // namespace traceledger::cli

#endif  // TRACELEDGER_TOOLS_COMMANDS_H_
