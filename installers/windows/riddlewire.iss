; Inno Setup 6 script: a per-user installer (no administrator rights) with a Start-menu entry.
; Build on Windows after PyInstaller (see installers/windows/build.ps1):
;   ISCC.exe /DAppVersion=0.1.0 installers\windows\riddlewire.iss
#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#define AppName "Riddlewire"
#define Bundle "..\..\build\installer\dist\riddlewire"

[Setup]
; A fixed AppId lets later versions upgrade this installation in place.
AppId={{6B2E4C1A-7F3D-4E8B-9A51-2C7D0E4F8A93}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=Riddlewire
AppPublisherURL=https://riddlewire.example.org/
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Per-user: {autopf} resolves to %LOCALAPPDATA%\Programs when installing without elevation.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
OutputDir=..\..\build\installer
OutputBaseFilename=Riddlewire-{#AppVersion}-windows-x64-setup
SetupIconFile=..\..\resources\icons\riddlewire.ico
UninstallDisplayIcon={app}\riddlewire.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
LicenseFile=..\..\resources\licenses\GEMMA_TERMS.txt

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#Bundle}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\riddlewire.exe"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\riddlewire.exe"; Tasks: desktopicon

[Run]
; Prove the installation works before the user relies on it (exit code 0 = ok; output in the log folder).
Filename: "{app}\riddlewire.exe"; Parameters: "--self-test"; StatusMsg: "Checking the installation..."; Flags: runhidden waituntilterminated
Filename: "{app}\riddlewire.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
