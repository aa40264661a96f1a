// Every string the console shows, per language. English first; Azerbaijani where known.
// A missing Azerbaijani string falls back to English.
"use strict";
(function () {
  const STRINGS = {
    en: {
      "login.subtitle": "Caspian maritime watch · sign in",
      "login.username": "User name",
      "login.password": "Password",
      "login.submit": "Sign in",
      "login.failed": "Sign-in failed: unknown user name or wrong password",
      "logout": "Sign out",
      "clock.baku": "Baku",
      "clock.picture": "Picture",
      "live.title": "Live updates",
      "tab.alerts": "Alerts",
      "tab.fleet": "Fleet",
      "tab.vessel": "Vessel",
      "tab.layers": "Layers",
      "status.vessels": "Vessels",
      "status.stale": "Stale",
      "status.unavailable": "Unavailable",
      "replay.label": "Replay (6 h)",
      "replay.live": "live",
      "vessel.none": "Select a vessel on the map.",
      "vessel.name": "Name",
      "vessel.mmsi": "MMSI",
      "vessel.imo": "IMO",
      "vessel.callsign": "Call sign",
      "vessel.type": "Type",
      "vessel.destination": "Destination",
      "vessel.speed": "Speed",
      "vessel.course": "Course",
      "vessel.heading": "Heading",
      "vessel.position": "Position",
      "vessel.last_seen": "Last seen",
      "vessel.age": "Age",
      "vessel.track": "Track (6 h)",
      "vessel.stale": "stale",
      "alerts.none": "No open alerts.",
      "alerts.ack": "Acknowledge",
      "alerts.assign": "Assign",
      "alerts.resolve": "Resolve",
      "alerts.note": "Note",
      "alerts.reason": "Resolution reason",
      "alerts.note_text": "Note text",
      "alerts.boat": "Boat",
      "alerts.vessel": "Vessel",
      "alerts.asset": "Asset",
      "alerts.first": "First",
      "alerts.last": "Last",
      "alerts.show_resolved": "Show resolved",
      "alerts.dispatch": "Dispatch options (ETAs)",
      "fleet.status": "Status",
      "fleet.base": "Base",
      "fleet.speed": "Cruise / max",
      "fleet.eta": "ETA",
      "fleet.none": "No boats configured.",
      "layers.water": "Water and coast",
      "layers.zones": "Zones",
      "layers.assets": "Energy assets",
      "layers.vessels": "Vessels",
      "layers.tracks": "Tracks",
      "layers.fleet": "Patrol boats",
      "layers.patrols": "Patrol routes",
      "layers.alerts": "Alerts",
      "kind.patrol": "Patrol", "kind.service": "Service", "kind.tanker": "Tanker",
      "kind.cargo": "Cargo", "kind.passenger": "Passenger", "kind.fishing": "Fishing",
      "kind.tug": "Tug", "kind.highspeed": "High-speed", "kind.pleasure": "Pleasure",
      "kind.other": "Other", "kind.unknown": "Unknown",
      "state.new": "new", "state.acknowledged": "acknowledged", "state.assigned": "assigned",
      "state.resolved": "resolved",
      "severity.low": "low", "severity.medium": "medium", "severity.high": "high",
      "severity.critical": "critical",
      "unit.kn": "kn", "unit.min": "min", "unit.h": "h",
      "error.forbidden": "Your role does not allow this action.",
      "error.generic": "Request failed",
      "error.unavailable": "not available in this build",
    },
    az: {
      "login.subtitle": "Xəzər dəniz nəzarəti · daxil olun",
      "login.username": "İstifadəçi adı",
      "login.password": "Şifrə",
      "login.submit": "Daxil ol",
      "login.failed": "Giriş alınmadı: istifadəçi adı və ya şifrə səhvdir",
      "logout": "Çıxış",
      "clock.baku": "Bakı",
      "clock.picture": "Vəziyyət",
      "live.title": "Canlı yeniləmələr",
      "tab.alerts": "Həyəcan siqnalları",
      "tab.fleet": "Donanma",
      "tab.vessel": "Gəmi",
      "tab.layers": "Laylar",
      "status.vessels": "Gəmilər",
      "status.stale": "Köhnəlmiş",
      "status.unavailable": "Əlçatan deyil",
      "replay.label": "Təkrar (6 saat)",
      "replay.live": "canlı",
      "vessel.none": "Xəritədə gəmi seçin.",
      "vessel.name": "Ad",
      "vessel.mmsi": "MMSI",
      "vessel.imo": "IMO",
      "vessel.callsign": "Çağırış işarəsi",
      "vessel.type": "Növ",
      "vessel.destination": "Təyinat",
      "vessel.speed": "Sürət",
      "vessel.course": "Kurs",
      "vessel.heading": "İstiqamət",
      "vessel.position": "Mövqe",
      "vessel.last_seen": "Son görülmə",
      "vessel.age": "Yaş",
      "vessel.track": "Trek (6 saat)",
      "vessel.stale": "köhnəlmiş",
      "alerts.none": "Açıq həyəcan siqnalı yoxdur.",
      "alerts.ack": "Təsdiqlə",
      "alerts.assign": "Təyin et",
      "alerts.resolve": "Bağla",
      "alerts.note": "Qeyd",
      "alerts.reason": "Bağlanma səbəbi",
      "alerts.note_text": "Qeydin mətni",
      "alerts.boat": "Qayıq",
      "alerts.vessel": "Gəmi",
      "alerts.asset": "Obyekt",
      "alerts.first": "İlk",
      "alerts.last": "Son",
      "alerts.show_resolved": "Bağlananları göstər",
      "alerts.dispatch": "Göndərmə variantları (ETA)",
      "fleet.status": "Vəziyyət",
      "fleet.base": "Baza",
      "fleet.none": "Qayıq yoxdur.",
      "layers.water": "Su və sahil",
      "layers.zones": "Zonalar",
      "layers.assets": "Enerji obyektləri",
      "layers.vessels": "Gəmilər",
      "layers.tracks": "Treklər",
      "layers.fleet": "Patrul qayıqları",
      "layers.patrols": "Patrul marşrutları",
      "layers.alerts": "Həyəcan siqnalları",
      "kind.patrol": "Patrul", "kind.service": "Xidmət", "kind.tanker": "Tanker",
      "kind.cargo": "Yük", "kind.passenger": "Sərnişin", "kind.fishing": "Balıqçı",
      "kind.tug": "Yedək", "kind.highspeed": "Sürətli", "kind.pleasure": "Gəzinti",
      "kind.other": "Digər", "kind.unknown": "Naməlum",
      "state.new": "yeni", "state.acknowledged": "təsdiqlənib", "state.assigned": "təyin edilib",
      "state.resolved": "bağlanıb",
      "severity.low": "aşağı", "severity.medium": "orta", "severity.high": "yüksək",
      "severity.critical": "kritik",
      "unit.kn": "düyün", "unit.min": "dəq", "unit.h": "saat",
      "error.forbidden": "Rolunuz bu əməliyyata icazə vermir.",
      "error.generic": "Sorğu alınmadı",
      "error.unavailable": "bu versiyada əlçatan deyil",
    },
  };
  let lang = localStorage.getItem("khazar.lang") || "en";
  if (!STRINGS[lang]) lang = "en";

  function t(key) {
    return (STRINGS[lang] && STRINGS[lang][key]) || STRINGS.en[key] || key;
  }
  function apply(root) {
    (root || document).querySelectorAll("[data-i18n]").forEach((el) => {
      el.textContent = t(el.getAttribute("data-i18n"));
    });
    (root || document).querySelectorAll("[data-i18n-title]").forEach((el) => {
      el.title = t(el.getAttribute("data-i18n-title"));
    });
    document.documentElement.lang = lang;
    document.querySelectorAll("button.lang").forEach((b) => {
      b.classList.toggle("active", b.dataset.lang === lang);
    });
  }
  function setLang(next) {
    if (!STRINGS[next]) return;
    lang = next;
    localStorage.setItem("khazar.lang", lang);
    apply();
    document.dispatchEvent(new CustomEvent("khazar:lang"));
  }
  window.KhazarI18n = { t, apply, setLang, languages: Object.keys(STRINGS), get lang() { return lang; } };
})();
