; Inno Setup 6.3+ script for Intranet Messenger (사내 메신저) on Windows (UTF-8; 6.3 reads it without a BOM).
;
; Build (on Windows, after `python build\build.py` made dist\intranet-messenger-<version>-windows-x86_64.exe):
;     "%ProgramFiles(x86)%\Inno Setup 6\ISCC.exe" installer\windows\messenger.iss
; Output: dist\IntranetMessenger-<version>-setup.exe
;
; What the installer does:
; - installs per machine into Program Files (needs administrator rights), the program under the stable
;   name IntranetMessenger.exe so shortcuts, the login entry and the firewall rule survive upgrades;
; - Start menu entry (and an optional desktop icon);
; - optional: start at login (the same HKCU Run entry the tray's "Start at login" toggle uses);
; - Windows Firewall: an inbound TCP rule scoped to the program (IntranetMessenger.exe), not to a port,
;   for the domain and private profiles (optional task, on by default): when the port changes later
;   (the tray's "use another port" after a port in use, or the operator console), colleagues can still
;   connect without an administrator updating the rule;
; - creates the per-machine data folder %ProgramData%\IntranetMessenger writable by users (database,
;   uploads, backups, logs, settings.toml); a port other than 5000 is written to settings.toml there;
; - the uninstaller removes the program, shortcuts, login entry and firewall rule, and KEEPS the data
;   unless the user answers "Yes" to the question (a silent uninstall always keeps it).

; The version comes from messenger/version.py through build.py, which writes build\work\version.iss.
#define VersionInclude AddBackslash(SourcePath) + "..\..\build\work\version.iss"
#if FileExists(VersionInclude)
  #include VersionInclude
#else
  #error Run "python build\build.py" first: it builds the binary and writes build\work\version.iss
#endif

#define AppName "Intranet Messenger"
#define AppExeName "IntranetMessenger.exe"
#define DataDirName "IntranetMessenger"
#define DefaultPort "5000"
#define HttpsPort "5443"
#define FirewallRule "Intranet Messenger"

[Setup]
AppId={{6E3C9B1A-4F2D-4C8E-9A51-2D7B0C3E8F41}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Intranet Messenger
VersionInfoVersion={#AppVersionNumeric}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=IntranetMessenger-{#AppVersion}-setup
SetupIconFile=..\..\assets\icon.ico
UninstallDisplayIcon={app}\{#AppExeName}
UninstallDisplayName={#AppName} {#AppVersion}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes
RestartApplications=no
UsedUserAreasWarning=no
ShowLanguageDialog=auto

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"
Name: "korean"; MessagesFile: "compiler:Languages\Korean.isl"

[CustomMessages]
english.AutoStart=Start {#AppName} when I sign in
korean.AutoStart=로그인할 때 {#AppName} 시작
english.Firewall=Allow other PCs on the office network to connect (Windows Firewall rule)
korean.Firewall=사내 네트워크의 다른 PC가 접속하도록 허용 (Windows 방화벽 규칙)
english.PortTitle=Network port
korean.PortTitle=네트워크 포트
english.PortDesc=Which TCP port should the server listen on?
korean.PortDesc=서버가 사용할 TCP 포트를 입력하세요.
english.PortLabel=Port (1024-65535; default {#DefaultPort}):
korean.PortLabel=포트 (1024-65535, 기본값 {#DefaultPort}):
english.PortInvalid=Please enter a port number between 1024 and 65535.
korean.PortInvalid=1024에서 65535 사이의 포트 번호를 입력하세요.
english.DeleteData=Also delete all messages, files, backups and settings in %1?%n%nChoose No to keep them (a later install uses them again).
korean.DeleteData=%1 에 있는 모든 메시지, 파일, 백업과 설정도 삭제할까요?%n%n유지하려면 [아니요]를 누르세요 (다시 설치하면 그대로 사용됩니다).
english.Launch=Start {#AppName} now
korean.Launch=지금 {#AppName} 시작

[Tasks]
Name: "firewall"; Description: "{cm:Firewall}"
Name: "autostart"; Description: "{cm:AutoStart}"; Flags: unchecked
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; earlier versions installed under the same stable name; nothing else of ours lives in {app}
Type: files; Name: "{app}\{#AppExeName}"

[Files]
Source: "..\..\dist\{#AppArtifact}"; DestDir: "{app}"; DestName: "{#AppExeName}"; Flags: ignoreversion
Source: "..\..\assets\icon.ico"; DestDir: "{app}"; Flags: ignoreversion
Source: "..\..\docs\BACKUP_RUNBOOK.md"; DestDir: "{app}\docs"; Flags: ignoreversion skipifsourcedoesntexist
Source: "..\README.md"; DestDir: "{app}\docs"; DestName: "INSTALL.md"; Flags: ignoreversion

[Dirs]
; the per-machine data dir (platformdirs' site data dir); users-modify so the tray, run by whoever is
; signed in, can write the database; never removed by the uninstaller itself (see [Code])
Name: "{commonappdata}\{#DataDirName}"; Permissions: users-modify; Flags: uninsneveruninstall

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExeName}"; IconFilename: "{app}\icon.ico"
Name: "{group}\{cm:UninstallProgram,{#AppName}}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExeName}"; IconFilename: "{app}\icon.ico"; Tasks: desktopicon

[Registry]
; the same entry messenger/ops/autostart.py reads and writes, so the tray's toggle shows it
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: string; ValueName: "IntranetMessenger"; ValueData: """{app}\{#AppExeName}"""; Flags: uninsdeletevalue; Tasks: autostart

[Run]
Filename: "{sys}\netsh.exe"; Parameters: "advfirewall firewall delete rule name=""{#FirewallRule}"""; Flags: runhidden; StatusMsg: "Windows Firewall..."; Tasks: firewall
Filename: "{sys}\netsh.exe"; Parameters: "advfirewall firewall add rule name=""{#FirewallRule}"" dir=in action=allow protocol=TCP program=""{app}\{#AppExeName}"" profile=domain,private enable=yes"; Flags: runhidden; Tasks: firewall
Filename: "{app}\{#AppExeName}"; Description: "{cm:Launch}"; Flags: nowait postinstall skipifsilent runasoriginaluser

[UninstallRun]
Filename: "{sys}\netsh.exe"; Parameters: "advfirewall firewall delete rule name=""{#FirewallRule}"""; Flags: runhidden; RunOnceId: "DelFirewallRule"

[Code]
var
  PortPage: TInputQueryWizardPage;

function DataDir(): String;
begin
  Result := ExpandConstant('{commonappdata}\{#DataDirName}');
end;

function SettingsFile(): String;
begin
  Result := DataDir() + '\settings.toml';
end;

function ChosenPort(): Integer;
begin
  Result := StrToIntDef(Trim(PortPage.Values[0]), 0);
end;

procedure InitializeWizard();
begin
  PortPage := CreateInputQueryPage(wpSelectTasks, CustomMessage('PortTitle'), CustomMessage('PortDesc'), '');
  PortPage.Add(CustomMessage('PortLabel'), False);
  PortPage.Values[0] := GetPreviousData('Port', '{#DefaultPort}');
end;

procedure RegisterPreviousData(PreviousDataKey: Integer);
begin
  SetPreviousData(PreviousDataKey, 'Port', IntToStr(ChosenPort()));
end;

function NextButtonClick(CurPageID: Integer): Boolean;
begin
  Result := True;
  if (CurPageID = PortPage.ID) and ((ChosenPort() < 1024) or (ChosenPort() > 65535)) then
  begin
    MsgBox(CustomMessage('PortInvalid'), mbError, MB_OK);
    Result := False;
  end;
end;

procedure CurStepChanged(CurStep: TSetupStep);
begin
  { A port other than the default goes into settings.toml, unless the operator already has one. }
  if (CurStep = ssPostInstall) and (ChosenPort() <> {#DefaultPort}) and not FileExists(SettingsFile()) then
    SaveStringToFile(SettingsFile(),
      '# Written by the installer; see the README for every setting.' + #13#10 +
      'DEFAULT_PORT = ' + IntToStr(ChosenPort()) + #13#10, False);
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if (CurUninstallStep = usPostUninstall) and DirExists(DataDir()) and not UninstallSilent() then
    if MsgBox(FmtMessage(CustomMessage('DeleteData'), [DataDir()]), mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES then
      DelTree(DataDir(), True, True, True);
end;
